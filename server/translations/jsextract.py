"""Babel extractor for the device app (pwa/**.js): `_("…")` calls, in template literals too.

Babel's own JavaScript extractor misses calls inside `${…}` after a quote or around an
object literal (`${esc(_("Photo"))}` in an attribute, `_("%(n)s left", { n })`), so the
device's strings never reached the catalogue. This one walks the source once, skipping
comments, strings and regular expressions, and follows template literals to any depth.
Only string-literal arguments are extracted, as babel.cfg names it:

    [server.translations.jsextract:extract: pwa/**.js]
"""

import re

IDENT = re.compile(r"[A-Za-z_$][\w$]*")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}


def _string(src: str, i: int) -> tuple[str, int]:
    """The value of the quoted literal starting at src[i], and the index after it."""
    quote, out, i = src[i], [], i + 1
    while i < len(src) and src[i] != quote:
        if src[i] == "\\":
            i, char = _escape(src, i + 1)
            out.append(char)
            continue
        out.append(src[i])
        i += 1
    return "".join(out), i + 1


def _escape(src: str, i: int) -> tuple[int, str]:
    char = src[i] if i < len(src) else ""
    if char == "u" and src[i + 1 : i + 2] == "{":
        end = src.index("}", i)
        return end + 1, chr(int(src[i + 2 : end], 16))
    if char == "u":
        return i + 5, chr(int(src[i + 1 : i + 5], 16))
    if char == "x":
        return i + 3, chr(int(src[i + 1 : i + 3], 16))
    if char == "\n":
        return i + 1, ""
    return i + 1, ESCAPES.get(char, char)


def _skip_regex(src: str, i: int) -> int:
    in_class = False
    i += 1
    while i < len(src) and (src[i] != "/" or in_class) and src[i] != "\n":
        if src[i] == "\\":
            i += 1
        elif src[i] in "[]":
            in_class = src[i] == "["
        i += 1
    return i + 1


def _arguments(src: str, i: int) -> tuple[tuple, int]:
    """String-literal arguments of the call whose "(" is at src[i] (None for others)."""
    args = []
    while True:
        i = _space(src, i + 1)
        if i < len(src) and src[i] in "\"'":
            value, i = _string(src, i)
            i = _space(src, i)
            args.append(value if src[i : i + 1] in (",", ")") else None)  # not "a" + b
            if src[i : i + 1] == ",":
                continue
        elif src[i : i + 1] != ")":
            args.append(None)
        return tuple(args), i


def _member(src: str, i: int) -> bool:
    """Whether the name starting at src[i] follows a dot (obj._ is not our function)."""
    i -= 1
    while i >= 0 and src[i].isspace():
        i -= 1
    return i >= 0 and src[i] == "."


def _space(src: str, i: int) -> int:
    while i < len(src) and src[i].isspace():
        i += 1
    return i


def scan(src: str, keywords):
    """Yield (line, keyword, arguments) for each call of a keyword in JavaScript source."""
    stack, i, last = [], 0, ""  # stack: "`" for a template, an int brace depth for ${…}
    while i < len(src):
        char = src[i]
        if stack and stack[-1] == "`":  # inside a template literal's text
            if char == "\\":
                i += 2
            elif char == "`":
                stack.pop()
                i, last = i + 1, "x"
            elif src.startswith("${", i):
                stack.append(0)
                i, last = i + 2, "{"
            else:
                i += 1
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            i = len(src) if end < 0 else end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            i = len(src) if end < 0 else end + 2
        elif char in "\"'":
            i, last = _string(src, i)[1], "x"
        elif char == "`":
            stack.append("`")
            i += 1
        elif char == "/" and last in REGEX_AFTER:
            i, last = _skip_regex(src, i), "x"
        elif char == "{" and stack:
            stack[-1] += 1
            i, last = i + 1, char
        elif char == "}" and stack and stack[-1] == 0:
            stack.pop()  # back in the template's text
            i += 1
        elif char == "}" and stack:
            stack[-1] -= 1
            i, last = i + 1, char
        elif match := IDENT.match(src, i):
            name, i = match.group(), match.end()
            j = _space(src, i)
            if name in keywords and src[j : j + 1] == "(" and not _member(src, match.start()):
                args, i = _arguments(src, j)
                yield src.count("\n", 0, match.start()) + 1, name, args
            last = "x" if name not in ("return", "typeof", "case", "in", "of") else "("
        else:
            i, last = i + 1, (char if not char.isspace() else last)


def extract(fileobj, keywords, comment_tags, options):
    """Babel extraction method: messages of `_("…")` calls (string literals only)."""
    src = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, name, args in scan(src, keywords):
        if args and args[0] is not None:
            yield line, name, args if len(args) > 1 else args[0], []
