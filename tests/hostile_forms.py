"""The pages' own forms, read from their HTML as a browser would: where each posts, its
fields with their current values, and the other values a field offers (options, radio
buttons, submit buttons). The page POST generator posts these as its valid base."""

from html.parser import HTMLParser


class Form:
    def __init__(self, attrs: dict):
        self.action = attrs.get("hx-post") or attrs.get("action") or ""
        self.method = (attrs.get("method") or ("post" if attrs.get("hx-post") else "get")).lower()
        self.fields: list[tuple[str, str]] = []  # what a plain submit sends
        self.choices: dict[str, list[str]] = {}  # other values a field can take

    def offer(self, name: str, value: str) -> None:
        values = self.choices.setdefault(name, [])
        if value not in values:
            values.append(value)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.selected = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.form = Form(a)
            self.forms.append(self.form)
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") != "file":
            kind = a.get("type", "text")
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                self.form.offer(name, value)
                if "checked" in a:
                    self.form.fields.append((name, value))
            elif kind not in ("submit", "button", "image", "reset"):
                self.form.fields.append((name, value))
            else:
                self.form.offer(name, value)
        elif tag == "button" and name:
            self.form.offer(name, a.get("value", ""))
        elif tag == "select" and name:
            self.select, self.selected = name, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.form.offer(self.select, value)
            if "selected" in a and not self.selected:
                self.form.fields.append((self.select, value))
                self.selected = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select and self.form is not None:
            if not self.selected and self.form.choices.get(self.select):
                self.form.fields.append((self.select, self.form.choices[self.select][0]))
            self.select = None
        elif tag == "textarea" and self.textarea and self.form is not None:
            self.form.fields.append((self.textarea, self.text))
            self.textarea = None


def forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def post_forms(html: str, path: str) -> list[Form]:
    """The forms of a page that post to `path` (query strings aside)."""
    return [f for f in forms(html) if f.method == "post" and f.action.split("?")[0] == path]
