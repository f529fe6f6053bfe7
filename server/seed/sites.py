"""Demo sites: base stations across the districts, premises and line endpoints of customers."""

from collections import Counter

from ..sites.model import create_site

BASE_STATIONS = 150
CUSTOMER_PREMISES = 35
LINE_ENDPOINTS = 15
# Which contractor maintains a district's sites.
CONTRACTOR_OF_DISTRICT = {"xihu": "huaxin", "gongshu": "tianhe", "binjiang": "huaxin"}


def seed_sites(build, orgs: dict, customers: list[tuple[dict, dict]]) -> None:
    """Create 200 sites: base stations, then premises and line endpoints of A/B customers."""
    named = Counter()
    for n in range(1, BASE_STATIONS + 1):
        team, spec = build.rng.choice(orgs["teams"])
        road = build.rng.choice(spec["roads"])
        named[spec["short"] + road] += 1
        count = named[spec["short"] + road]
        name = f"{spec['short']}{road}{'' if count == 1 else f'{count}号'}基站"
        place = (
            *build.point(spec["box"]),
            f"浙江省杭州市{spec['name']}{road}{build.rng.randint(1, 999)}号",
        )
        _site(build, orgs, spec, team["id"], None, "base_station", n, name, place)
    big = [(c, spec) for c, spec in customers if c["customer_class"] in ("A", "B")]
    chosen = build.rng.sample(big, CUSTOMER_PREMISES + LINE_ENDPOINTS)
    for n, (customer, spec) in enumerate(chosen, 1):
        premises = n <= CUSTOMER_PREMISES
        kind = "customer_premises" if premises else "line_endpoint"
        name = customer["name"] + ("机房" if premises else "专线终端")
        place = (*_near(build, customer, spec["box"]), customer["address"])
        _site(build, orgs, spec, customer["org_id"], customer, kind, n, name, place)


def _near(build, customer: dict, box) -> tuple[float, float]:
    """A point a street or so from the customer, still inside the district's box."""
    lat = customer["lat"] + build.rng.uniform(-0.0008, 0.0008)
    lon = customer["lon"] + build.rng.uniform(-0.0008, 0.0008)
    return round(min(max(lat, box[0]), box[1]), 6), round(min(max(lon, box[2]), box[3]), 6)


def _cycle(build, kind: str, customer: dict | None) -> int:
    if kind == "base_station":
        return build.rng.choices((30, 90, 180), (2, 6, 2))[0]
    if kind == "customer_premises":
        return 30 if customer["customer_class"] == "A" else 90
    return 180


def _site(build, orgs, spec, org_id, customer, kind, n, name, place) -> dict:
    lat, lon, address = place
    prefix = {"base_station": "BS", "customer_premises": "CP", "line_endpoint": "LE"}[kind]
    contractor = orgs["contractors"][CONTRACTOR_OF_DISTRICT[spec["key"]]]
    return create_site(
        build.db,
        None,
        id=build.next_id(),
        code=f"{prefix}-{spec['code']}-{n:04d}",
        name=name,
        site_type=kind,
        lat=lat,
        lon=lon,
        area=f"{spec['name']}{build.rng.choice(spec['streets'])}",
        address=address,
        org_id=org_id,
        contractor_id=contractor["id"],
        customer_id=customer["id"] if customer else None,
        inspection_cycle_days=_cycle(build, kind, customer),
    )
