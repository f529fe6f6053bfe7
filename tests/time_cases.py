"""Hand-written cases for times as people read them, shared by the server formatter
(server/times.py) and its device twin (pwa/times.js): tests/test_time_format_parity.py runs
both on the same cases. Each case is (function, arguments, zh_CN text, en text); the
function names are the server's, the device's are in DEVICE_NAMES."""

DAY = 86400
HOUR = 3600

CASES = {
    "no time": ("duration_text", [0], "不到 1 分钟", "under a minute"),
    "59 seconds": ("duration_text", [59], "不到 1 分钟", "under a minute"),
    "45 minutes": ("duration_text", [45 * 60], "45 分", "45 min"),
    "an hour and 20": ("duration_text", [80 * 60 + 59], "1 小时 20 分", "1 h 20 min"),
    "two hours": ("duration_text", [2 * HOUR], "2 小时", "2 h"),
    "three days two hours": (
        "duration_text",
        [3 * DAY + 2 * HOUR + 5 * 60],
        "3 天 2 小时",
        "3 d 2 h",
    ),
    "two days": ("duration_text", [2 * DAY + 59 * 60], "2 天", "2 d"),
    # "已超时 7238 h 45 min" as the issue saw it, in days and hours.
    "7238 h 45 min": ("duration_text", [7238 * HOUR + 45 * 60], "301 天 14 小时", "301 d 14 h"),
    "sign ignored": ("duration_text", [-(80 * 60)], "1 小时 20 分", "1 h 20 min"),
    "seconds when precise": ("duration_text", [12.7, True], "12 秒", "12 s"),
    "left": ("left_text", [80 * 60], "剩 1 小时 20 分", "1 h 20 min left"),
    "just due": ("left_text", [0], "剩 不到 1 分钟", "under a minute left"),
    "overdue": ("left_text", [-(3 * DAY + 2 * HOUR)], "超时 3 天 2 小时", "Overdue by 3 d 2 h"),
    # "已超时 440783 分钟" on the dispatch desk (it counts minutes).
    "overdue minutes": (
        "minutes_left_text",
        [-440783],
        "超时 306 天 2 小时",
        "Overdue by 306 d 2 h",
    ),
    "minutes left": ("minutes_left_text", [230], "剩 3 小时 50 分", "3 h 50 min left"),
    "clock unknown": ("clock_offset_text", [None], "—", "—"),
    # "-0.0 秒" as the issue saw it.
    "clock a hair off": ("clock_offset_text", [-40], "与服务器一致", "in step"),
    "clock behind": ("clock_offset_text", [1250], "慢 1 秒", "1 s behind"),
    "clock ahead": ("clock_offset_text", [-300000], "快 5 分", "5 min ahead"),
    "clock hours behind": (
        "clock_offset_text",
        [(5 * 60 + 13) * 60000],
        "慢 5 小时 13 分",
        "5 h 13 min behind",
    ),
    "today": ("relative_day", ["2026-12-03", "2026-12-03"], "今天", "today"),
    "yesterday": ("relative_day", ["2026-12-02", "2026-12-03"], "昨天", "yesterday"),
    "tomorrow": ("relative_day", ["2026-12-04", "2026-12-03"], "明天", "tomorrow"),
    "days ago": ("relative_day", ["2026-11-20", "2026-12-03"], "13 天前", "13 days ago"),
    "over a year end": ("relative_day", ["2027-01-02", "2026-12-30"], "3 天后", "in 3 days"),
    "local clock": (
        "clock_text",
        ["2026-12-03T05:04:59.999Z"],
        "2026-12-03 13:04",
        "2026-12-03 13:04",
    ),
    "local clock, next day": (
        "clock_text",
        ["2026-12-31T16:30:00.000Z"],
        "2027-01-01 00:30",
        "2027-01-01 00:30",
    ),
    "no offset is UTC": (
        "clock_text",
        ["2026-01-01T00:00:00"],
        "2026-01-01 08:00",
        "2026-01-01 08:00",
    ),
    "no time stored": ("clock_text", [None], "", ""),
    "unreadable": ("clock_text", ["soon"], "", ""),
}

DEVICE_NAMES = {
    "duration_text": "durationText",
    "left_text": "leftText",
    "minutes_left_text": "minutesLeftText",
    "clock_offset_text": "clockOffsetText",
    "relative_day": "relativeDay",
    "clock_text": "clockText",
}
