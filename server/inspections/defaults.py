"""The checklists a new installation starts with, one per site type (in Chinese, the trade's
words). Ranges follow common maintenance practice for -48 V telecom power rooms."""


def _pf(label, photo_required=0):
    return {"label": label, "kind": "pass_fail", "photo_required": photo_required}


def _reading(label, unit, low, high):
    return {"label": label, "kind": "reading", "unit": unit, "min_value": low, "max_value": high}


def _choice(label, choices, failing):
    return {"label": label, "kind": "choice", "choices": choices, "failing_choices": failing}


_PHOTO = {"label": "现场照片", "kind": "photo", "photo_required": 1}
_SUMMARY = {"label": "巡检小结", "kind": "text"}

BASE_STATION = [
    _reading("蓄电池浮充电压", "V", 53.5, 54.5),
    _pf("蓄电池外观（无鼓包、漏液）"),
    _reading("机房温度", "℃", 10, 30),
    _reading("机房湿度", "%", 20, 80),
    _reading("市电输入电压", "V", 187, 242),
    _pf("整流模块无告警"),
    _pf("开关电源运行正常"),
    _pf("空调运行正常"),
    _choice("门禁", ["正常", "损坏"], ["损坏"]),
    _reading("接地电阻", "Ω", 0, 5),
    _pf("天馈线外观完好", photo_required=1),
    _pf("铁塔及抱杆无锈蚀、螺栓紧固"),
    _pf("消防器材齐全且在有效期内"),
    _choice("防雷器状态", ["正常", "失效"], ["失效"]),
    _choice("传输设备告警", ["无告警", "次要告警", "紧急告警"], ["紧急告警"]),
    _choice("机房清洁", ["良好", "一般", "差"], ["差"]),
    _pf("动环监控在线"),
    _pf("机房照明正常"),
    _PHOTO,
    _SUMMARY,
]

CUSTOMER_PREMISES = [
    _pf("设备运行指示灯正常"),
    _reading("接收光功率", "dBm", -27, -8),
    _reading("设备间温度", "℃", 5, 35),
    _pf("供电及 UPS 正常"),
    _choice("线缆标签", ["齐全", "缺失"], ["缺失"]),
    _PHOTO,
    _SUMMARY,
]

LINE_ENDPOINT = [
    _pf("终端盒外观完好"),
    _reading("接收光功率", "dBm", -27, -8),
    _pf("尾纤及跳纤无弯折"),
    _choice("线路标签", ["齐全", "缺失"], ["缺失"]),
    _PHOTO,
    _SUMMARY,
]

DEFAULTS = {
    "base_station": ("基站巡检表", BASE_STATION),
    "customer_premises": ("客户端巡检表", CUSTOMER_PREMISES),
    "line_endpoint": ("线路终端巡检表", LINE_ENDPOINT),
}
