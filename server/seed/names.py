"""Word lists for the demo data: Hangzhou districts, streets, people and organisations."""

# (surname, pinyin for the username)
SURNAMES = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("郑", "zheng"),
    ("沈", "shen"),
    ("钱", "qian"),
    ("蒋", "jiang"),
    ("叶", "ye"),
    ("潘", "pan"),
    ("方", "fang"),
    ("俞", "yu"),
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚华建国红玉兰志浩宇婷雪琳晨阳佳欣嘉怡俊峰海燕"
)

# Real districts of Hangzhou. box = (lat_min, lat_max, lon_min, lon_max), the built-up part
# of each district, all inside the city box 30.15-30.35 N, 120.05-120.30 E.
DISTRICTS = (
    {
        "key": "xihu",
        "name": "西湖区",
        "short": "西湖",
        "code": "XH",
        "box": (30.21, 30.30, 120.06, 120.16),
        "streets": ("文新街道", "翠苑街道", "古荡街道", "西溪街道", "蒋村街道", "北山街道"),
        "roads": (
            "文三路",
            "文二路",
            "天目山路",
            "古墩路",
            "教工路",
            "学院路",
            "西溪路",
            "文一西路",
        ),
    },
    {
        "key": "gongshu",
        "name": "拱墅区",
        "short": "拱墅",
        "code": "GS",
        "box": (30.28, 30.34, 120.11, 120.19),
        "streets": ("米市巷街道", "湖墅街道", "大关街道", "祥符街道", "上塘街道", "小河街道"),
        "roads": (
            "莫干山路",
            "湖墅南路",
            "上塘路",
            "丽水路",
            "登云路",
            "石祥路",
            "大关路",
            "台州路",
        ),
    },
    {
        "key": "binjiang",
        "name": "滨江区",
        "short": "滨江",
        "code": "BJ",
        "box": (30.16, 30.22, 120.13, 120.24),
        "streets": ("西兴街道", "长河街道", "浦沿街道"),
        "roads": (
            "江南大道",
            "滨盛路",
            "网商路",
            "长河路",
            "江陵路",
            "聚才路",
            "六和路",
            "火炬大道",
        ),
    },
)

CONTRACTORS = (
    {"key": "huaxin", "code": "HZ-KW-HX", "name": "浙江华信通信工程有限公司"},
    {"key": "tianhe", "code": "HZ-KW-TH", "name": "杭州天和网络技术服务有限公司"},
)

# 字号 (trade names) for invented companies.
FIRM_WORDS = (
    "华创 恒泰 博远 信达 云帆 嘉禾 锦程 中恒 瑞丰 明德 汇通 天晟 新宇 海纳 卓越 鼎盛 金桥 宏图"
    " 同创 启明 星辰 青山 和顺 东信 正泰 联科 安鑫 君越 致远 智汇 远航 三维 四海 万象 春晖 长安"
    " 凯达 赛博 银河 蓝海 绿源 美途 优品 百川 千岛 钱塘 之江 西溪 运河 吴越 龙井 良渚 湖滨 凤起"
).split()

# Industry of an ordinary company -> name endings.
FIRM_SUFFIXES = {
    "technology": ("科技有限公司", "网络技术有限公司", "信息技术有限公司", "软件有限公司"),
    "manufacturing": ("机械制造有限公司", "电子有限公司", "纺织有限公司", "新材料有限公司"),
    "retail": ("商贸有限公司", "百货有限公司", "贸易有限公司"),
    "logistics": ("物流有限公司", "供应链管理有限公司", "快运有限公司"),
    "hospitality": ("酒店管理有限公司", "餐饮管理有限公司"),
    "real_estate": ("房地产开发有限公司", "物业管理有限公司"),
    "healthcare": ("医疗器械有限公司", "生物医药有限公司", "健康管理有限公司"),
    "education": ("教育科技有限公司", "职业技能培训学校"),
    "other": ("建设工程有限公司", "企业管理咨询有限公司", "设计有限公司"),
}

GOVERNMENT_UNITS = (
    "人民政府",
    "财政局",
    "市场监督管理局",
    "卫生健康局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "城市管理局",
    "教育局",
    "应急管理局",
)
BANKS = (
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "浙商银行",
    "杭州银行",
    "中信银行",
    "兴业银行",
)
SECURITIES = ("中信证券", "国泰君安证券", "华泰证券", "浙商证券", "财通证券", "东方证券")
INSURERS = ("中国平安财产保险", "中国人寿保险", "太平洋保险", "泰康人寿保险", "中华联合财产保险")

CONTACT_TITLES = (
    "总经理",
    "副总经理",
    "办公室主任",
    "信息中心主任",
    "IT主管",
    "行政经理",
    "财务总监",
    "采购经理",
)
KEY_DATE_LABELS = ("公司成立纪念日", "合同续签日", "入驻园区纪念日")
