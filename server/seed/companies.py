"""Invented but plausible customer companies, drawn so that compute_class yields the class."""

from .names import (
    BANKS,
    FIRM_SUFFIXES,
    FIRM_WORDS,
    GOVERNMENT_UNITS,
    INSURERS,
    SECURITIES,
)

ORDINARY = tuple(FIRM_SUFFIXES)


def _firm(rng, district: dict, industry: str) -> str:
    prefix = rng.choices(("杭州", "浙江", "杭州" + district["short"]), (6, 2, 2))[0]
    return prefix + rng.choice(FIRM_WORDS) + rng.choice(FIRM_SUFFIXES[industry])


def _class_a(rng, district: dict) -> tuple[str, str, int]:
    """A class-A customer: a key industry or organ, or a large firm (500+ handsets)."""
    d, short = district["name"], district["short"]
    kind = rng.choices(("government", "bank", "utility", "large"), (4, 3, 2, 3))[0]
    if kind == "government":
        return f"杭州市{d}{rng.choice(GOVERNMENT_UNITS)}", "government", rng.randint(60, 400)
    if kind == "bank":
        return f"{rng.choice(BANKS)}杭州{short}支行", "bank", rng.randint(40, 300)
    if kind == "utility":
        industry, name = rng.choice(
            (
                ("power", f"国网杭州市{d}供电公司"),
                ("water", f"杭州市水务集团{short}分公司"),
                ("gas", f"杭州市燃气集团{short}分公司"),
                ("post", f"中国邮政集团杭州市{d}分公司"),
                ("media", f"杭州市{d}融媒体中心"),
                ("military", f"杭州市{d}人民武装部"),
            )
        )
        return name, industry, rng.randint(50, 500)
    industry = rng.choice(("technology", "manufacturing", "logistics"))
    return (
        _firm(rng, district, industry).replace("有限公司", "集团有限公司"),
        industry,
        rng.randint(500, 3000),
    )


def _class_b(rng, district: dict) -> tuple[str, str, int]:
    """A class-B customer: securities or insurance, or a firm with 100-499 handsets."""
    roll = rng.random()
    if roll < 0.1:
        road = rng.choice(district["roads"])
        return f"{rng.choice(SECURITIES)}杭州{road}证券营业部", "securities", rng.randint(20, 120)
    if roll < 0.2:
        return (
            f"{rng.choice(INSURERS)}杭州{district['short']}支公司",
            "insurance",
            rng.randint(30, 200),
        )
    industry = rng.choice(ORDINARY)
    return _firm(rng, district, industry), industry, rng.randint(100, 499)


def _class_c(rng, district: dict) -> tuple[str, str, int]:
    """A class-C customer: an ordinary firm with 11-99 handsets (10 or fewer: unclassified)."""
    industry = rng.choice(ORDINARY)
    return _firm(rng, district, industry), industry, rng.randint(11, 99)


MAKERS = {"A": _class_a, "B": _class_b, "C": _class_c}


def company(rng, klass: str, district: dict, taken: set) -> tuple[str, str, int]:
    """(name, industry, handsets) of a new customer of the class; the name is not in taken."""
    for _ in range(200):
        name, industry, handsets = MAKERS[klass](rng, district)
        if name not in taken:
            taken.add(name)
            return name, industry, handsets
    # The lists ran dry: keep the last draw, numbered so the name stays unique.
    name = f"{name}（{len(taken) + 1}）"
    taken.add(name)
    return name, industry, handsets
