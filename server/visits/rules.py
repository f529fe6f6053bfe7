"""Visit rules: the status machine, GPS evidence flags. The overdue policy is policy.py."""

from geopy.distance import geodesic

PURPOSES = (
    "routine",
    "complaint_follow_up",
    "product_promotion",
    "care",
    "retention",
    "fault_follow_up",
    "contract_renewal",
)

# status → statuses it may move to. Review (approve/return) belongs to supervisors.
TRANSITIONS = {
    "planned": {"in_progress", "cancelled"},
    "in_progress": {"completed", "cancelled"},
    "completed": {"approved", "returned"},
    "returned": {"completed"},
    "approved": set(),
    "cancelled": set(),
}
# Once a visit is here, edits from the field are late edits for a supervisor.
FROZEN = {"approved", "cancelled"}

# One WGS-84 geodesic, reused: building geopy's geodesic per call re-derives the ellipsoid's
# series coefficients every time (half the cost of a distance). Same numbers to the bit.
_WGS84 = geodesic()


def can_move(current: str, target: str) -> bool:
    """True when the visit state machine allows current → target."""
    return target in TRANSITIONS.get(current, set())


def gps_evidence(lat, lon, accuracy, customer_lat, customer_lon, *, far_m, low_accuracy_m):
    """Distance (m) from the customer's recorded location and the flags it earns.

    Flags: no_fix (no position), far (beyond far_m), low_accuracy (accuracy worse than
    low_accuracy_m), no_customer_location (the customer has no coordinates). "ok" if none.
    """
    if lat is None or lon is None:
        return None, "no_fix"
    flags = []
    distance = None
    if customer_lat is None or customer_lon is None:
        flags.append("no_customer_location")
    else:
        distance = round(_WGS84.measure((lat, lon), (customer_lat, customer_lon)) * 1000, 1)
        if distance > far_m:
            flags.append("far")
    if accuracy is None or accuracy > low_accuracy_m:
        flags.append("low_accuracy")
    return distance, ",".join(flags) or "ok"
