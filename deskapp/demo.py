"""A realistic demo desk, generated fast enough to double as a load test.

Training, screenshots, snapshot tests and the benchmarks all need a desk that looks lived in:
cases in every state, promises kept, broken and still running, customers who keep calling back,
and an audit trail that verifies. Going through `Desk` case by case would take most of an hour
for the 100,000 cases a load test needs, so this module simulates each case's history in memory,
following the same state machine and the same service-level policy, and bulk-inserts the rows
through the session's own connection inside one transaction. On Linux, large desks are built
by worker processes while the main process chains the events and inserts.

What it writes must be indistinguishable from what the use cases write: milestones planned with
the deployment's policy and calendars (paused and resumed with `deskapp.sla`), `next_due_at` equal
to the earliest running promise, numbers `TS-YYYYMMDD-NNNN` by the desk's own day with the day
counters advanced past them, and one hash-chained event per action in the same form as
`deskapp.audit` and `deskapp.cases` record them, so `deskapp audit verify` passes.
"""

from __future__ import annotations

import multiprocessing
import operator
import os
import random
import sys
import threading
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session, SQLModel, func, select

from deskapp import audit, clock, numbering, sla, workflow
from deskapp import milestones as ms
from deskapp.auth import hash_password
from deskapp.config import Settings, load_settings
from deskapp.domain import (
    LEGAL_REVIEW_FLAGS,
    TERMINAL_STATUSES,
    Category,
    Channel,
    ClaimType,
    CustomerTier,
    MilestoneKind,
    RiskFlag,
    Role,
    Severity,
    Status,
    format_flags,
)
from deskapp.overview import DEMO_EVENT
from store.engine import read_session, write_session
from store.models import AuditHead, Department, Staff
from store.phones import normal_phone

__all__ = ["DEMO_PASSWORD", "DemoStats", "default_workers", "generate", "has_staff"]

DEMO_PASSWORD = "demo"
#: Cases built and inserted together: large enough to amortise statements and process hand-overs,
#: small enough that a chunk's rows stay a few tens of megabytes.
BATCH = 5000
#: How far back the demo desk's history reaches.
HISTORY_DAYS = 30

S = Status
K = MilestoneKind


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class DemoStats:
    cases: int
    customers: int
    staff: int
    events: int
    seconds: float


def has_staff(engine: Engine) -> bool:
    """`deskapp demo --if-empty` must never pile a demo on top of a real desk."""
    with read_session(engine) as s:
        return s.exec(select(Staff.id).limit(1)).first() is not None


# -- the people ---------------------------------------------------------------------------------

#: code, name, English name.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("QA", "品质部", "Quality"),
    ("PROD", "生产部", "Production"),
    ("LOG", "物流部", "Logistics"),
    ("SALES", "销售部", "Sales"),
    ("PUR", "采购部", "Purchasing"),
    ("CS", "客服部", "Customer service"),
    ("FIN", "财务部", "Finance"),
)

#: login, display name, roles, department code, compensation limit. The first accounts are the
#: documented demo logins; each department's first dept_manager is its manager and its first
#: handler its liaison.
ROSTER: tuple[tuple[str, str, str, str | None, int], ...] = (
    ("agent", "王丽", "agent", "CS", 0),
    ("handler", "张伟", "handler", "QA", 0),
    ("manager", "陈静", "dept_manager", "QA", 2000),
    ("supervisor", "刘洋", "supervisor", "CS", 0),
    ("legal", "Margaret Lin", "legal", None, 0),
    ("executive", "赵建国", "executive", None, 100000),
    ("admin", "周敏", "admin", None, 0),
    ("li.na", "李娜", "agent", "CS", 0),
    ("wang.fang", "王芳", "agent", "CS", 0),
    ("emily.carter", "Emily Carter", "agent", "CS", 0),
    ("yang.jie", "杨杰", "agent", "CS", 0),
    ("huang.min", "黄敏", "agent", "CS", 0),
    ("daniel.wu", "Daniel Wu", "agent", "CS", 0),
    ("zhou.ting", "周婷", "agent", "CS", 0),
    ("xu.lei", "徐磊", "agent supervisor", "CS", 0),
    ("sun.qiang", "孙强", "handler", "QA", 0),
    ("grace.ho", "Grace Ho", "handler", "QA", 0),
    ("ma.chao", "马超", "dept_manager", "PROD", 2000),
    ("hu.jun", "胡军", "handler", "PROD", 0),
    ("guo.lin", "郭琳", "handler", "PROD", 0),
    ("lin.tao", "林涛", "dept_manager", "LOG", 2000),
    ("he.yan", "何燕", "handler", "LOG", 0),
    ("kevin.zhang", "Kevin Zhang", "handler", "LOG", 0),
    ("luo.gang", "罗刚", "handler", "LOG", 0),
    ("liang.hui", "梁慧", "dept_manager", "SALES", 3000),
    ("song.yu", "宋宇", "handler", "SALES", 0),
    ("olivia.tan", "Olivia Tan", "handler", "SALES", 0),
    ("zheng.bo", "郑波", "dept_manager", "PUR", 2000),
    ("xie.dan", "谢丹", "handler", "PUR", 0),
    ("han.mei", "韩梅", "dept_manager", "CS", 1000),
    ("tang.xin", "唐欣", "handler", "CS", 0),
    ("feng.rui", "冯睿", "handler", "CS", 0),
    ("deng.hua", "邓华", "dept_manager", "FIN", 5000),
    ("cao.ying", "曹颖", "handler", "FIN", 0),
    ("james.liu", "James Liu", "handler", "FIN", 0),
    ("peng.fei", "彭飞", "legal", None, 0),
    ("susan.wright", "Susan Wright", "supervisor", None, 0),
)


# -- what customers complain about -------------------------------------------------------------

#: Chinese name, English name, SKU.
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("智能电饭煲", "smart rice cooker", "RC-300"),
    ("空气净化器", "air purifier", "AP-220"),
    ("无线吸尘器", "cordless vacuum", "CV-8"),
    ("电热水壶", "electric kettle", "EK-15"),
    ("蓝牙耳机", "Bluetooth earbuds", "BE-5"),
    ("儿童安全座椅", "child car seat", "CS-9"),
    ("扫地机器人", "robot vacuum", "RV-60"),
    ("胶囊咖啡机", "capsule coffee machine", "CM-2"),
    ("破壁料理机", "high-speed blender", "HB-12"),
    ("电动牙刷", "electric toothbrush", "ET-3"),
    ("加湿器", "humidifier", "HU-40"),
    ("空气炸锅", "air fryer", "AF-55"),
)

PLACES_ZH = (
    "上海市浦东新区张江路门店",
    "北京市朝阳区大悦城门店",
    "广州市天河区客户家中",
    "深圳市福田区自提点",
    "杭州市西湖区客户家中",
    "成都市锦江区门店",
    "官方网店",
    "微信小程序商城",
    "南京市鼓楼区客户家中",
)
PLACES_EN = (
    "Online store",
    "Shanghai Jing'an store",
    "Customer's home, Shenzhen",
    "Beijing Sanlitun store",
    "Mobile app",
    "Hong Kong pick-up point",
)

# Templates per category: (subject, description, demand). Placeholders: {p} product, {o} order,
# {d} days, {a} amount.
TEMPLATES_ZH: dict[Category, tuple[tuple[str, str, str], ...]] = {
    Category.QUALITY: (
        (
            "{p}使用{d}天后无法开机",
            "客户反映{p}使用{d}天后突然无法开机，已按说明书重置无效。订单{o}。",
            "要求换新",
        ),
        (
            "{p}外壳开裂",
            "收到的{p}外壳有明显裂纹，客户担心存在安全隐患，已拍照留存。",
            "要求退货退款",
        ),
        (
            "{p}运行时有焦糊味",
            "{p}工作时散发焦糊味，客户家中有婴儿，情绪激动。订单{o}。",
            "要求退款并出具检测报告",
        ),
        ("{p}漏水", "{p}底部漏水，打湿了木地板，客户要求赔偿损失。", "要求赔偿{a}元"),
        ("{p}噪音过大", "{p}噪音明显高于宣传参数，夜间无法使用。", "要求换货"),
    ),
    Category.DELIVERY: (
        (
            "订单{o}超过{d}天未送达",
            "客户下单{d}天仍未收到{p}，物流信息停滞，多次催促无果。",
            "要求尽快送达并补偿运费",
        ),
        ("外包装破损，{p}受损", "快递到达时外箱严重变形，{p}面板破碎。", "要求重新发货"),
        ("配送员未送货上门", "配送员未经同意将{p}放在小区门口，导致丢失。订单{o}。", "要求补发"),
        ("收到的商品少了一件", "订单{o}共两件，只收到一件{p}。", "要求补发缺件"),
    ),
    Category.ATTITUDE: (
        (
            "客服电话多次无人接听",
            "客户为{p}问题拨打客服热线{d}次均无人接听，非常不满。",
            "要求主管回电并道歉",
        ),
        ("门店店员态度恶劣", "客户在门店咨询{p}退换货时，店员语气生硬并拒绝处理。", "要求书面道歉"),
        (
            "售后人员爽约未上门",
            "约定上门检修{p}，售后人员未到也未通知，客户请假{d}天白等。",
            "要求赔偿误工费{a}元",
        ),
    ),
    Category.BILLING: (
        ("订单{o}被重复扣款", "客户购买{p}时银行卡被扣款两次。", "要求退还多扣的{a}元"),
        ("退款{d}天未到账", "退货已签收{d}天，退款仍未到账。订单{o}。", "要求立即退款"),
        ("发票抬头开错", "订单{o}的发票抬头有误，影响公司报销。", "要求重开发票"),
        ("优惠券未抵扣", "下单{p}时满减优惠券未生效，多付{a}元。", "要求退还差价"),
    ),
    Category.POLICY: (
        (
            "七天无理由退货被拒",
            "客户收货第{d}天申请退货{p}，被以包装已拆为由拒绝。",
            "要求按规定退货",
        ),
        ("保修条款解释不一致", "门店与热线对{p}保修范围的解释不一致。", "要求按承诺免费维修"),
        ("会员积分被无故清零", "客户会员积分被清零，未收到任何通知。", "要求恢复积分"),
    ),
    Category.OTHER: (
        (
            "要求提供{p}检测报告",
            "客户对{p}材料安全性有疑问，要求提供第三方检测报告。",
            "要求提供报告",
        ),
        ("APP无法查询订单", "客户在APP中无法查看订单{o}的状态。", "要求修复并告知进度"),
    ),
}

TEMPLATES_EN: dict[Category, tuple[tuple[str, str, str], ...]] = {
    Category.QUALITY: (
        (
            "{p} stopped working after {d} days",
            "The customer's {p} will not switch on after {d} days of use; a reset did not help. "
            "Order {o}.",
            "Replacement unit",
        ),
        (
            "Cracked housing on {p}",
            "The {p} arrived with a cracked housing; photos provided.",
            "Full refund",
        ),
        (
            "{p} smells of burning",
            "The {p} gives off a burning smell during use. Order {o}.",
            "Refund and a safety report",
        ),
        (
            "{p} leaks water",
            "Water leaks from the base of the {p} and damaged the floor.",
            "Compensation of {a} CNY",
        ),
    ),
    Category.DELIVERY: (
        (
            "Order {o} not delivered after {d} days",
            "Tracking for the {p} has not moved for {d} days.",
            "Deliver now and refund shipping",
        ),
        (
            "{p} damaged in transit",
            "The box was crushed and the {p} front panel is broken.",
            "Send a new unit",
        ),
        (
            "Parcel left unattended and lost",
            "The courier left the {p} at the gate; it is gone.",
            "Resend the order",
        ),
    ),
    Category.ATTITUDE: (
        (
            "Rude staff at the store",
            "Staff refused to discuss a return of the {p} and were rude.",
            "Written apology",
        ),
        (
            "Technician did not show up",
            "The repair visit for the {p} was missed twice.",
            "Compensation of {a} CNY for lost time",
        ),
    ),
    Category.BILLING: (
        (
            "Charged twice for order {o}",
            "The card was charged twice for the {p}.",
            "Refund the duplicate {a} CNY",
        ),
        (
            "Refund not received after {d} days",
            "The returned {p} was received {d} days ago.",
            "Immediate refund",
        ),
    ),
    Category.POLICY: (
        (
            "Return refused within 7 days",
            "Return of the {p} was refused because the box was opened.",
            "Accept the return",
        ),
        (
            "Warranty terms contradict",
            "The store and the hotline disagree on the {p} warranty.",
            "Free repair as promised",
        ),
    ),
    Category.OTHER: (
        (
            "Request for a test report on {p}",
            "The customer asks for an independent test report.",
            "Provide the report",
        ),
    ),
}

#: (the "5 whys" chain as written, where the cause lies)
ROOT_CAUSES = (
    ("供应商批次电容不良\n来料检验只抽样不全检\n检验标准未随新供应商更新", "supplier"),
    ("装配工位扭矩设置错误\n换线后未复核设定值", "manufacturing"),
    ("承运商分拣中心积压\n大促期间未提前扩容", "logistics"),
    ("仓库包装规范未执行\n新员工未培训", "process"),
    ("门店员工未接受退换货政策培训", "sales"),
    ("支付网关重复回调\n幂等校验缺失", "billing"),
    ("系统优惠规则配置错误", "process"),
    ("Courier route change not communicated", "logistics"),
    ("Firmware defect in batch 2026-09\nRelease test skipped the new board revision", "design"),
)
#: (the remedy as written, its kinds)
REMEDIES = (
    ("致歉并换新", "apology replacement"),
    ("退货退款", "refund"),
    ("补发商品并补偿运费", "reshipment compensation"),
    ("赠送优惠券并书面致歉", "apology discount"),
    ("上门维修并延长保修一年", "repair"),
    ("退还差价", "refund"),
    ("优先排产并加急发货", "priority_production"),
    ("更换对接人", "contact_change"),
    ("Apology, replacement and a goodwill voucher", "apology replacement discount"),
)
REJECT_REASONS = (
    "经核实，商品已超出保修期且为人为损坏，不属于质量问题，已向客户说明。",
    "诉求与订单记录不符，客户无法提供购买凭证，已告知客户可补充材料后再次提交。",
    "Duplicate of an existing case; the customer was told the existing case number.",
)
PEND_REASONS = ("等待客户提供照片", "等待客户确认上门时间", "Waiting for the customer's receipt")
CONTACT_OUTCOMES = ("已电话致歉并说明处理计划", "客户同意等待调查结果", "Called; plan agreed")
SATISFACTION_COMMENTS = ("处理及时，满意", "结果可以接受", "等待时间太长", "Quick and polite", "")
TRANSFER_REASONS = ("根因在物流环节", "经查为供应商来料问题", "Billing issue, not a product fault")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = _words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 "
    "刚 桂英 建华 晓明 子涵 欣怡 浩然 雨桐 梓轩"
)
FIRST_EN = _words(
    "James Mary Robert Linda Michael Sarah David Emma Thomas Olivia Daniel Sophia "
    "Matthew Chloe Andrew Grace Ryan Hannah Lucas Mia"
)
LAST_EN = _words(
    "Smith Johnson Brown Taylor Wilson Clarke Walker Wright Green Hall Wong Chan Lee "
    "Ng Patel Murphy Cooper Evans"
)
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "158", "186", "187", "189")
US_AREAS = ("415", "212", "646", "312", "206", "617", "213", "512")


# -- how cases move --------------------------------------------------------------------------

STATUS_WEIGHTS: tuple[tuple[Status, int], ...] = (
    (S.NEW, 5),
    (S.ACCEPTED, 4),
    (S.REJECTED, 4),
    (S.DISPATCHED, 6),
    (S.INVESTIGATING, 15),
    (S.PENDING_CUSTOMER, 6),
    (S.PLAN_PROPOSED, 6),
    (S.LEGAL_REVIEW, 2),
    (S.COMPENSATION_APPROVAL, 3),
    (S.RESOLVED, 6),
    (S.FEEDBACK_GIVEN, 5),
    (S.REVISITED, 4),
    (S.CLOSED, 34),
)
SEVERITY_WEIGHTS = ((Severity.A, 10), (Severity.B, 30), (Severity.C, 60))
CHANNEL_WEIGHTS = (
    (Channel.PHONE, 35),
    (Channel.CHAT, 20),
    (Channel.EMAIL, 14),
    (Channel.SOCIAL, 12),
    (Channel.WALK_IN, 9),
    (Channel.LETTER, 4),
    (Channel.REGULATOR, 6),
)
CATEGORY_WEIGHTS = (
    (Category.QUALITY, 34),
    (Category.DELIVERY, 24),
    (Category.ATTITUDE, 12),
    (Category.BILLING, 12),
    (Category.POLICY, 10),
    (Category.OTHER, 8),
)
#: Which department owns each root cause, with weights.
CATEGORY_DEPTS: dict[Category, tuple[tuple[str, int], ...]] = {
    Category.QUALITY: (("QA", 6), ("PROD", 3), ("PUR", 1)),
    Category.DELIVERY: (("LOG", 1),),
    Category.ATTITUDE: (("CS", 3), ("SALES", 1)),
    Category.BILLING: (("FIN", 3), ("SALES", 2)),
    Category.POLICY: (("SALES", 1), ("CS", 1)),
    Category.OTHER: (("CS", 3), ("PUR", 1)),
}

#: Minutes from the previous step to this action, before the severity factor.
DELAYS: dict[str, tuple[int, int]] = {
    "accept": (1, 45),
    "reject": (10, 240),
    "dispatch": (5, 90),
    "transfer": (60, 600),
    "start_investigation": (10, 240),
    "record_contact": (15, 300),
    "pend_customer": (60, 1440),
    "customer_answered": (120, 2880),
    "propose_plan": (120, 2880),
    "send_to_legal": (10, 240),
    "legal_approve": (60, 1440),
    "request_approval": (10, 240),
    "approve_compensation": (60, 1440),
    "resolve": (60, 2880),
    "confirm": (10, 600),
    "give_feedback": (30, 1200),
    "revisit": (240, 3000),
    "close": (10, 600),
}
#: Hours a case has sat in its current state, before the severity factor.
IDLE_HOURS: dict[Status, float] = {
    S.NEW: 3,
    S.ACCEPTED: 4,
    S.REJECTED: 640,
    S.DISPATCHED: 8,
    S.INVESTIGATING: 72,
    S.PENDING_CUSTOMER: 96,
    S.PLAN_PROPOSED: 48,
    S.LEGAL_REVIEW: 48,
    S.COMPENSATION_APPROVAL: 48,
    S.RESOLVED: 30,
    S.FEEDBACK_GIVEN: 100,
    S.REVISITED: 48,
    S.CLOSED: 600,
}
#: Urgent cases move faster and are noticed sooner.
PACE: dict[Severity, float] = {Severity.A: 0.3, Severity.B: 0.6, Severity.C: 1.0}


T = TypeVar("T")


def _cumulative(pairs: Sequence[tuple[T, int]]) -> tuple[list[T], list[int]]:
    return [p for p, _ in pairs], list(accumulate(w for _, w in pairs))


# Plain strings in the hot loop: reading `.value` off an enum member is a property call.
NEW = S.NEW.value
VIP = CustomerTier.VIP.value
TERMINAL = frozenset(s.value for s in TERMINAL_STATUSES)
#: Milestones each action starts (resolve starts feedback, feedback starts the revisit).
STARTS: dict[str, int] = {a: len(t.starts) for a, t in workflow.TRANSITIONS.items()}
SPOKEN = frozenset({Channel.PHONE, Channel.WALK_IN})
EVIDENCE = ("", "", "照片3张", "聊天记录截图", "photos.zip", "开箱视频")
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 5, 14, 38, 40)

# Column orders of the rows the demo writes; `_Values` checks them against the tables, so a
# schema change stops the demo with a message instead of writing shifted columns.
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": _words("id name phone other_phones email tier created_at"),
    "complaint": _words(
        "id number channel customer_id subject description demand occurred_at place "
        "order_ref product_ref evidence category claim_type severity flags status is_open "
        "next_due_at next_kind next_calendar next_warn_at first_owner_id primary_dept_id "
        "assignee_id escalation_level "
        "reject_reason root_cause remedy remedy_types root_cause_category "
        "compensation_amount plan_proposed_by_id "
        "legal_cleared compensation_approved_by_id customer_confirmed_at satisfaction "
        "satisfaction_comment resume_status departments_left reopen_count version "
        "created_at updated_at updated_by_id"
    ),
    "milestone": _words(
        "id complaint_id kind budget_minutes calendar started_at due_at paused_at "
        "paused_seconds met_at cancelled is_open"
    ),
    "complaint_assist": _words("complaint_id department_id"),
    "case_event": _words("id complaint_id actor_id at kind payload prev_hash hash"),
}
#: Insert order: parents before children (foreign keys are checked row by row).
TABLES = tuple(COLUMNS)
COMPLAINT_INSTANTS = (
    "occurred_at",
    "next_due_at",
    "next_warn_at",
    "customer_confirmed_at",
    "created_at",
    "updated_at",
)
complaint_values = operator.itemgetter(*COLUMNS["complaint"])


def _table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


# -- values as the database takes them --------------------------------------------------------

_SAMPLE_INSTANTS = (
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC),
)


class _Values:
    """Column values converted as SQLAlchemy would convert them for this dialect, decided once.

    The rows go to the driver's executemany directly: SQLAlchemy's typed executemany spends
    about three times the driver's own time on per-row parameter processing, which at 100,000
    cases is most of the demo's run. Instants are nearly half of all values; their fast form is
    used only after it matched `store.types.UTCDateTime`'s own processor on sample values.
    """

    def __init__(self, dialect: Dialect) -> None:
        for name, columns in COLUMNS.items():
            actual = set(_table(name).columns.keys())
            if set(columns) != actual:
                raise RuntimeError(
                    f"deskapp.demo writes {name} columns {sorted(set(columns) ^ actual)} that "
                    "the table does not match; update COLUMNS in deskapp/demo.py"
                )
        complaint = _table("complaint")
        instant = _bind_processor(complaint.c.created_at, dialect)
        self._iso: dict[datetime, str] = {}
        self._days: dict[int, str] = {}
        # The table-built text is trusted only where it matches the audit's own.
        self._tables = True
        self._tables = all(self.iso(v) == audit.instant_text(v) for v in _SAMPLE_INSTANTS[:1])
        self._iso.clear()
        fast: Callable[[datetime], Any] | None = None
        if dialect.name == "sqlite":
            fast = self._sqlite_instant
        elif dialect.name == "postgresql":
            fast = _naive_utc
        if instant is None:
            self._convert: Callable[[datetime], Any] = _identity
        elif fast is not None and all(fast(v) == instant(v) for v in _SAMPLE_INSTANTS):
            self._convert = fast
        else:
            self._convert = instant
        amount = _bind_processor(complaint.c.compensation_amount, dialect)
        self.amount: Callable[[Decimal], Any] = amount or _identity
        boolean = _bind_processor(complaint.c.is_open, dialect) or _identity
        self.true, self.false = boolean(True), boolean(False)
        self._memo: dict[datetime, Any] = {}
        quote = dialect.identifier_preparer.quote
        if dialect.paramstyle == "qmark":
            marker = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            marker = "%s"
        else:
            raise RuntimeError(f"deskapp.demo: unsupported DB-API paramstyle {dialect.paramstyle}")
        self.sql = {
            name: "INSERT INTO {} ({}) VALUES ({})".format(
                quote(name),
                ", ".join(quote(c) for c in columns),
                ", ".join([marker] * len(columns)),
            )
            for name, columns in COLUMNS.items()
        }

    def iso(self, value: datetime) -> str:
        """The instant as `deskapp.audit` hashes it (`audit.instant_text` of the UTC instant).

        Demo instants are whole seconds, so the text is put together from a per-day and a
        per-second-of-day table: `isoformat` costs more than everything else about an event's
        time, and the demo formats over a million of them.
        """
        text = self._iso.get(value)
        if text is None:
            if value.microsecond or value.utcoffset() != _ZERO or not self._tables:
                text = audit.instant_text(value.astimezone(UTC))
            else:
                day, second = divmod(int(value.timestamp()), 86400)
                date = self._days.get(day)
                if date is None:
                    date = self._days[day] = value.date().isoformat()
                text = f"{date}T{_seconds_of_day()[second]}.000000+00:00"
            self._iso[value] = text
        return text

    def _sqlite_instant(self, value: datetime) -> str:
        # SQLAlchemy's SQLite DATETIME text of the naive UTC instant, "YYYY-MM-DD HH:MM:SS.ffffff",
        # cut from the ISO text the event hash needs anyway.
        iso = self.iso(value)
        return f"{iso[:10]} {iso[11:26]}"

    def instant(self, value: datetime | None) -> Any:
        """Instants repeat within a case (an action's time is also a met_at, an updated_at…),
        so each is converted once per batch."""
        if value is None:
            return None
        stored = self._memo.get(value)
        if stored is None:
            stored = self._memo[value] = self._convert(value)
        return stored

    def boolean(self, value: bool) -> Any:
        return self.true if value else self.false

    def forget(self) -> None:
        self._memo.clear()
        self._iso.clear()


_ZERO = timedelta(0)


def _bind_processor(column: sa.Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to this column's values before the driver sees them."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@cache
def _seconds_of_day() -> tuple[str, ...]:
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))


def _identity(value: Any) -> Any:
    return value


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


# -- the simulation ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Milestone:
    """A milestone row in memory; its attributes are `deskapp.milestones.Row`'s, so the desk's
    own rules meet, pause, resume and cancel it."""

    kind: str
    budget_minutes: float
    calendar: str
    started_at: datetime
    due_at: datetime
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    met_at: datetime | None = None
    cancelled: bool = False
    is_open: bool = True


@dataclass(slots=True)
class _Draft:
    """First pass: what happens to a case and when, before it has a customer and a number."""

    created_at: datetime
    status: Status
    severity: Severity
    channel: Channel
    category: Category
    claim_type: ClaimType
    flags: set[RiskFlag]
    amount: Decimal | None
    steps: list[tuple[str, datetime]] = field(default_factory=list)


def _link(events: Sequence[_Event], last_hash: str) -> tuple[list[tuple[Any, ...]], str]:
    """The `case_event` rows for these events, in id order, continuing the chain from
    `last_hash`; returns them and the new last hash.

    The one step that cannot be spread over processes: each hash covers the one before it.
    """
    rows = []
    prev = last_hash
    chain_hash, payload_text = audit.chain_hash, audit.payload_text
    for event_id, complaint_id, actor_id, at, kind, body in events:
        digest = chain_hash(prev, body)
        # The payload is cut out of the body rather than shipped between processes twice.
        rows.append((event_id, complaint_id, actor_id, at, kind, payload_text(body), prev, digest))
        prev = digest
    return rows, prev


#: An event before it joins the chain: id, complaint id, actor id, the instant as the database
#: takes it, kind, and the body (`audit.event_body`) its hash covers after the previous hash.
_Event = tuple[int, int, int | None, Any, str, str]


def _json(value: Any) -> Any:
    """Dates and amounts as `deskapp.audit`'s encoder writes them."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# -- the people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Roster:
    """Staff ids the cases are handed between, as plain data the builder can carry anywhere."""

    dept_ids: dict[str, int]
    agents: tuple[int, ...]
    handlers: dict[str, tuple[int, ...]]
    managers: dict[str, int]
    legal: tuple[int, ...]
    limits: dict[int, Decimal]
    executive: int
    supervisor: int
    desk_agent: int


def _ensure_people(s: Session) -> _Roster:
    """The demo roster, created where missing (a second demo run reuses it)."""
    depts = {d.code: d for d in s.exec(select(Department)).all()}
    for code, name, name_en in DEPARTMENTS:
        if code not in depts:
            depts[code] = Department(code=code, name=name, name_en=name_en)
            s.add(depts[code])
    s.flush()
    existing = {st.login: st for st in s.exec(select(Staff)).all()}
    hashed: str | None = None
    for login, display, roles, dept, limit in ROSTER:
        if login not in existing:
            hashed = hashed or hash_password(DEMO_PASSWORD)  # scrypt: once, not per account
            existing[login] = Staff(
                login=login,
                display_name=display,
                roles=roles,
                department_id=depts[dept].id if dept else None,
                password_hash=hashed,
                compensation_limit=Decimal(limit),
            )
            s.add(existing[login])
    s.flush()
    agents: list[int] = []
    legal: list[int] = []
    handlers: dict[str, list[int]] = {code: [] for code, _, _ in DEPARTMENTS}
    managers: dict[str, int] = {}
    limits: dict[int, Decimal] = {}
    executive = supervisor = 0
    for login, _display, roles, dept, _limit in ROSTER:
        staff = existing[login]
        sid = staff.id or 0
        limits[sid] = staff.compensation_limit
        words = roles.split()
        if Role.AGENT.value in words:
            agents.append(sid)
        if Role.LEGAL.value in words:
            legal.append(sid)
        if Role.EXECUTIVE.value in words:
            executive = sid
        if Role.SUPERVISOR.value in words:
            supervisor = supervisor or sid
        if dept and Role.HANDLER.value in words:
            handlers[dept].append(sid)
        if dept and Role.DEPT_MANAGER.value in words:
            managers.setdefault(dept, sid)
    for code, row in depts.items():
        if code in managers and row.manager_id is None:
            row.manager_id = managers[code]
        if handlers.get(code) and row.liaison_id is None:
            row.liaison_id = handlers[code][0]
        s.add(row)
    s.flush()
    return _Roster(
        dept_ids={code: d.id or 0 for code, d in depts.items()},
        agents=tuple(agents),
        handlers={code: tuple(ids) for code, ids in handlers.items()},
        managers=managers,
        legal=tuple(legal),
        limits=limits,
        executive=executive,
        supervisor=supervisor,
        desk_agent=existing["agent"].id or 0,
    )


# -- first pass: the story of each case, in the main process ---------------------------------


class _Storyteller:
    """Decides each case's fate and timeline, and who complains; sequential because numbers,
    ids and repeat complaints follow creation order across the whole desk."""

    def __init__(self, rng: random.Random, now: datetime, rules: workflow.Rules) -> None:
        self.rng = rng
        self.now = now
        self.rules = rules
        self._status = _cumulative(STATUS_WEIGHTS)
        self._severity = _cumulative(SEVERITY_WEIGHTS)
        self._channel = _cumulative(CHANNEL_WEIGHTS)
        self._category = _cumulative(CATEGORY_WEIGHTS)

    def pick(self, table: tuple[list[T], list[int]]) -> T:
        values, cum = table
        return values[bisect_right(cum, self.rng.random() * cum[-1])]

    def draft(self) -> _Draft:
        rng = self.rng
        status = self.pick(self._status)
        severity = self.pick(self._severity)
        channel = self.pick(self._channel)
        category = self.pick(self._category)
        flags: set[RiskFlag] = set()
        if channel is Channel.REGULATOR or (severity is Severity.A and rng.random() < 0.15):
            flags.add(RiskFlag.REGULATOR)
        if severity is Severity.A and rng.random() < 0.3:
            flags.add(rng.choice((RiskFlag.LEGAL, RiskFlag.MEDIA)))
        elif severity is Severity.B and rng.random() < 0.05:
            flags.add(RiskFlag.LEGAL)
        if category is Category.QUALITY and rng.random() < 0.05:
            flags.add(RiskFlag.BATCH)
        r = rng.random()
        claim = (
            ClaimType.COMPENSATION
            if r < 0.22
            else ClaimType.UNJUSTIFIED
            if r < 0.25
            else ClaimType.GENERAL
        )
        if status is S.COMPENSATION_APPROVAL:
            claim = ClaimType.COMPENSATION
        amount = None
        if claim is ClaimType.COMPENSATION:
            top = 12000 if severity is Severity.A else 4000 if severity is Severity.B else 1500
            amount = Decimal(rng.randrange(5, top // 10 + 1) * 10)
        if status is S.LEGAL_REVIEW and not flags & LEGAL_REVIEW_FLAGS:
            flags.add(RiskFlag.LEGAL)
        needs_legal = bool(flags & LEGAL_REVIEW_FLAGS) or (
            (amount or 0) > self.rules.legal_review_amount
        )
        actions = self._path(status, needs_legal, amount is not None)
        # Seconds between steps; urgent cases move faster, and one step in twenty runs late.
        pace = PACE[severity] * 60
        delays = []
        for action in actions:
            lo, hi = DELAYS[action]
            late = 4.0 if rng.random() < 0.05 else 1.0
            delays.append(rng.uniform(lo * pace, hi * pace * late))
        idle = rng.uniform(0, IDLE_HOURS[status] * 3600) * (
            1.0 if status in TERMINAL_STATUSES else PACE[severity]
        )
        span = sum(delays) + idle
        window = HISTORY_DAYS * 86400
        if span >= window:
            scale = rng.uniform(0.6, 0.98) * window / span
            delays = [x * scale for x in delays]
            span = sum(delays) + idle * scale
        created = self.now - timedelta(seconds=int(span) + 1)
        elapsed = 0
        steps = []
        for action, delay in zip(actions, delays, strict=True):
            elapsed += int(delay)
            steps.append((action, created + timedelta(seconds=elapsed)))
        return _Draft(created, status, severity, channel, category, claim, flags, amount, steps)

    def _path(self, status: Status, needs_legal: bool, compensation: bool) -> list[str]:
        """The workflow actions that bring a new case to `status` (see deskapp.workflow)."""
        rng = self.rng
        if status is S.NEW:
            return []
        if status is S.ACCEPTED:
            return ["accept"]
        if status is S.REJECTED:
            return ["reject"] if rng.random() < 0.6 else ["accept", "reject"]
        path = ["accept", "dispatch"]
        if rng.random() < 0.05:
            path.append("transfer")
        if status is S.DISPATCHED:
            return path
        path.append("start_investigation")
        if status is S.INVESTIGATING:
            return path + (["record_contact"] if rng.random() < 0.6 else [])
        path.append("record_contact")
        if status is S.PENDING_CUSTOMER:
            return [*path, "pend_customer"]
        if rng.random() < 0.12:
            path += ["pend_customer", "customer_answered"]
        path.append("propose_plan")
        if status is S.PLAN_PROPOSED:
            return path
        if needs_legal:
            path.append("send_to_legal")
            if status is S.LEGAL_REVIEW:
                return path
            path.append("legal_approve")
        if compensation:
            path.append("request_approval")
            if status is S.COMPENSATION_APPROVAL:
                return path
            path.append("approve_compensation")
        path.append("resolve")
        confirmed = rng.random() < 0.5
        if confirmed and status is not S.RESOLVED:
            path.append("confirm")
        if status is S.RESOLVED:
            return path
        path.append("give_feedback")
        if status is S.FEEDBACK_GIVEN:
            return path
        if not confirmed and (status is S.CLOSED or rng.random() < 0.5):
            path.append("confirm")
        path.append("revisit")
        if status is S.REVISITED:
            return path
        return [*path, "close"]

    def customer(self, index: int, since: datetime) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.75:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            # Multiplying by a number prime to 10**8 keeps the eight digits unique per index.
            phone = f"{rng.choice(MOBILE_PREFIXES)}{(index * 7919 + 1234567) % 10**8:08d}"
            email = f"u{index:06d}@example.cn" if rng.random() < 0.5 else ""
        else:
            first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
            name = f"{first} {last}"
            area = US_AREAS[(index // 10000) % len(US_AREAS)]
            phone = f"+1 {area} 555 {index % 10000:04d}"
            email = f"{first.lower()}.{last.lower()}{index}@example.com"
        other = ""
        if rng.random() < 0.1:
            other = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        tier = VIP if rng.random() < 0.06 else CustomerTier.STANDARD.value
        return {
            "id": index,
            "name": name,
            "phone": normal_phone(phone),  # stored as intake stores it: one form per number
            "other_phones": other,
            "email": email,
            "tier": tier,
            "created_at": since - timedelta(days=rng.randrange(0, 400)),
        }


@dataclass(frozen=True, slots=True)
class _Case:
    """One case for the builder: its story, identity and customer."""

    draft: _Draft
    complaint_id: int
    number: str
    customer_id: int
    name: str
    phone: str
    email: str
    vip: bool
    repeat: bool


def _counts(d: _Draft) -> tuple[int, int]:
    """How many events and milestones a case's story produces, known before it is built, so
    each chunk gets its own block of ids."""
    started = sum(STARTS[action] for action, _ in d.steps)
    return 1 + len(d.steps), len(sla.INTAKE_MILESTONES) + started


@dataclass(frozen=True)
class _Part:
    """A chunk of consecutive cases and the first ids reserved for its rows."""

    index: int
    cases: list[_Case]
    first_event_id: int
    first_milestone_id: int
    events: int
    milestones: int


# -- second pass: the rows of a chunk of cases, in any process ------------------------------------


@dataclass
class _Chunk:
    """A chunk's rows, ready for the driver but for the event hashes, which chain across
    chunks and so are added by the main process in order."""

    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    milestones: list[tuple[Any, ...]] = field(default_factory=list)
    assists: list[tuple[int, int]] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)


class _Builder:
    """Turns stories into rows. Pure computation: nothing here reads the database, so chunks can
    be built in other processes."""

    def __init__(
        self,
        seed: int,
        roster: _Roster,
        policy: sla.SlaPolicy,
        calendars: sla.CalendarSet,
        dialect: Dialect,
    ) -> None:
        self.seed = seed
        self.roster = roster
        self.planner = sla.Planner(policy, calendars)
        self.warn_fraction = policy.warn_fraction
        self.values = _Values(dialect)
        self.dumps = audit.canonical_encoder()
        self._depts = {c: _cumulative(w) for c, w in CATEGORY_DEPTS.items()}
        self.rng = random.Random(seed)
        self.event_id = self.milestone_id = 0

    def chunk(self, part: _Part) -> _Chunk:
        # Each chunk has its own stream of choices and its own block of ids, so the desk is the
        # same whichever process builds which chunk.
        self.rng = random.Random(f"{self.seed}/{part.index}")
        self.event_id = part.first_event_id - 1
        self.milestone_id = part.first_milestone_id - 1
        out = _Chunk()
        for case in part.cases:
            self.build(case, out)
        self.values.forget()
        return out

    def pick(self, table: tuple[list[T], list[int]]) -> T:
        values, cum = table
        return values[bisect_right(cum, self.rng.random() * cum[-1])]

    def event(
        self,
        out: _Chunk,
        complaint_id: int,
        actor_id: int | None,
        at: datetime,
        kind: str,
        payload: dict[str, Any],
    ) -> None:
        self.event_id += 1
        body = audit.event_body(
            self.event_id,
            complaint_id,
            actor_id,
            self.values.iso(at),
            kind,
            self.dumps(payload),
        )
        out.events.append(
            (self.event_id, complaint_id, actor_id, self.values.instant(at), kind, body)
        )

    def milestone(
        self, kind: MilestoneKind, severity: Severity, vip: bool, start: datetime
    ) -> _Milestone:
        p = self.planner.plan(kind, severity, vip, start)
        return _Milestone(p.kind.value, p.budget_minutes, p.calendar, p.started_at, p.due_at)

    def build(self, case: _Case, out: _Chunk) -> None:
        """Replay one case's story through the workflow's effects and emit its rows."""
        rng, roster, values = self.rng, self.roster, self.values
        d = case.draft
        complaint_id, number, vip = case.complaint_id, case.number, case.vip
        flags = set(d.flags)
        if case.repeat:
            flags.add(RiskFlag.REPEAT)
        if vip:
            flags.add(RiskFlag.VIP)
        chinese = not case.phone.startswith("+")
        product_zh, product_en, sku = rng.choice(PRODUCTS)
        created = d.created_at
        order = f"SO{number[5:9]}{rng.randrange(10**6):06d}"
        amount = d.amount if d.amount is not None else Decimal(rng.randrange(5, 200) * 10)
        subject_t, description_t, demand_t = rng.choice(
            (TEMPLATES_ZH if chinese else TEMPLATES_EN)[d.category]
        )
        fill = {
            "p": product_zh if chinese else product_en,
            "o": order,
            "d": rng.randrange(2, 16),
            "a": amount,
        }
        place = rng.choice(PLACES_ZH if chinese else PLACES_EN)
        evidence = rng.choice(EVIDENCE)
        owner = roster.desk_agent if rng.random() < 0.12 else rng.choice(roster.agents)
        channel, category, severity = d.channel.value, d.category.value, d.severity.value
        c: dict[str, Any] = {
            "id": complaint_id,
            "number": number,
            "channel": channel,
            "customer_id": case.customer_id,
            "subject": subject_t.format(**fill),
            "description": description_t.format(**fill),
            "demand": demand_t.format(**fill),
            "occurred_at": created - timedelta(hours=rng.randrange(1, 24 * 6)),
            "place": place,
            "order_ref": order,
            "product_ref": f"{sku}-{rng.randrange(1, 5)}",
            "evidence": evidence,
            "category": category,
            "claim_type": d.claim_type.value,
            "severity": severity,
            "flags": format_flags(flags),
            "status": NEW,
            "is_open": True,
            "next_due_at": None,
            "next_kind": "",
            "next_calendar": "",
            "next_warn_at": None,
            "first_owner_id": owner,
            "primary_dept_id": None,
            "assignee_id": None,
            "escalation_level": 0,
            "reject_reason": "",
            "root_cause": "",
            "remedy": "",
            "remedy_types": "",
            "root_cause_category": "",
            "compensation_amount": None,
            "plan_proposed_by_id": None,
            "legal_cleared": False,
            "compensation_approved_by_id": None,
            "customer_confirmed_at": None,
            "satisfaction": None,
            "satisfaction_comment": "",
            "resume_status": "",
            "departments_left": "",
            "reopen_count": 0,
            "version": 1,
            "created_at": created,
            "updated_at": created,
            "updated_by_id": owner,
        }
        rows = [self.milestone(kind, d.severity, vip, created) for kind in sla.INTAKE_MILESTONES]
        acknowledged = d.channel in SPOKEN and rng.random() < 0.6
        if acknowledged:
            ms.meet(rows, (K.ACKNOWLEDGE,), created)
        fields = {
            "phone": case.phone,
            "name": case.name,
            "subject": c["subject"],
            "description": c["description"],
            "demand": c["demand"],
            "email": case.email,
            "place": place,
            "order_ref": order,
            "product_ref": c["product_ref"],
            "evidence": evidence,
        }
        promised = next(r.due_at for r in rows if r.kind == K.CONTACT)
        self.event(
            out,
            complaint_id,
            owner,
            created,
            "intake",
            {
                "version": 1,
                "number": number,
                "fields": {k: v for k, v in fields.items() if v},
                "channel": channel,
                "category": category,
                "severity": severity,
                "flags": c["flags"],
                "acknowledged": acknowledged,
                "overrides": {},
                "promised_reply_at": promised.isoformat(),
            },
        )

        dept = self.pick(self._depts[d.category])
        handler = rng.choice(roster.handlers[dept])
        assists: list[int] = []
        changes: dict[str, list[Any]] = {}

        def put(name: str, value: Any) -> None:
            """Change a tracked field, keeping its before/after for the event as
            `deskapp.cases` does."""
            old = c[name]
            if old != value:
                c[name] = value
                changes[name] = [_json(old), _json(value)]

        for action, at in d.steps:
            changes = {}
            extra: dict[str, Any] = {}
            actor = owner
            handling = c["assignee_id"] or handler
            if action == "reject":
                extra["reason"] = rng.choice(REJECT_REASONS)
                put("reject_reason", extra["reason"])
            elif action == "dispatch":
                put("primary_dept_id", roster.dept_ids[dept])
                if rng.random() < 0.7:
                    put("assignee_id", handler)
                if rng.random() < 0.1:
                    helper = rng.choice([x for x in roster.dept_ids if x != dept])
                    assists = [roster.dept_ids[helper]]
                    extra["assisting"] = assists
            elif action == "transfer":
                actor = roster.managers.get(dept, roster.supervisor)
                put("departments_left", str(c["primary_dept_id"]))
                dept = rng.choice([x for x in roster.dept_ids if x != dept and roster.handlers[x]])
                handler = rng.choice(roster.handlers[dept])
                put("primary_dept_id", roster.dept_ids[dept])
                put("assignee_id", None)
                assists = [a for a in assists if a != c["primary_dept_id"]]
                extra["reason"] = rng.choice(TRANSFER_REASONS)
            elif action == "start_investigation":
                actor = handling
                put("assignee_id", handling)
            elif action == "record_contact":
                actor = handling
                extra["contact"] = {"mode": "phone", "outcome": rng.choice(CONTACT_OUTCOMES)}
            elif action == "pend_customer":
                actor = handling
                extra["reason"] = rng.choice(PEND_REASONS)
            elif action == "customer_answered":
                actor = handling
            elif action == "propose_plan":
                actor = handling
                remedy, kinds = rng.choice(REMEDIES)
                cause, where = rng.choice(ROOT_CAUSES)
                put("remedy", remedy)
                put("remedy_types", kinds)
                put("root_cause", cause)
                put("root_cause_category", where)
                put("compensation_amount", d.amount)
                put("plan_proposed_by_id", actor)
            elif action in ("send_to_legal", "request_approval"):
                actor = c["plan_proposed_by_id"]
            elif action == "legal_approve":
                actor = rng.choice(roster.legal)
                put("legal_cleared", True)
            elif action == "approve_compensation":
                manager = roster.managers.get(dept)
                covers = manager is not None and (d.amount or 0) <= roster.limits[manager]
                actor = manager if covers and manager is not None else roster.executive
                put("compensation_approved_by_id", actor)
            elif action == "resolve":
                actor = c["plan_proposed_by_id"]
            elif action == "confirm":
                put("customer_confirmed_at", at)
            elif action == "revisit":
                put("satisfaction", rng.choices(SCORES, SCORE_WEIGHTS)[0])
                comment = rng.choice(SATISFACTION_COMMENTS)
                put("satisfaction_comment", comment)
                if comment:
                    extra["comment"] = comment
            # What the transition does to the state and the promises, as `Desk.act` applies it.
            t = workflow.TRANSITIONS[action]
            if t.pauses:
                c["resume_status"] = c["status"]
                ms.pause_all(rows, at)
            if t.resumes:
                extra["paused_working_seconds"] = ms.resume_all(rows, at, self.planner.calendars)
                put("status", c["resume_status"])
                c["resume_status"] = ""
            elif t.target is not None:
                put("status", t.target.value)
            met = ms.meet(rows, t.meets, at)
            rows += [self.milestone(kind, d.severity, vip, at) for kind in t.starts]
            if t.ends_case:
                ms.cancel_all(rows)
            c["version"] += 1
            c["updated_at"], c["updated_by_id"] = at, actor
            payload: dict[str, Any] = {"version": c["version"], "changes": changes, **extra}
            if met:
                payload["met"] = met
            self.event(out, complaint_id, actor, at, action, payload)

        is_open = c["status"] not in TERMINAL
        h = (
            ms.head_columns(rows, self.warn_fraction, self.planner.calendars)
            if is_open
            else ms.NO_HEAD
        )
        c["next_due_at"], c["next_kind"] = h.due_at, h.kind
        c["next_calendar"], c["next_warn_at"] = h.calendar, h.warn_at
        for name in COMPLAINT_INSTANTS:
            c[name] = values.instant(c[name])
        c["is_open"] = values.boolean(is_open)
        c["legal_cleared"] = values.boolean(c["legal_cleared"])
        if c["compensation_amount"] is not None:
            c["compensation_amount"] = values.amount(c["compensation_amount"])
        out.complaints.append(complaint_values(c))
        for row in rows:
            self.milestone_id += 1
            out.milestones.append(
                (
                    self.milestone_id,
                    complaint_id,
                    row.kind,
                    row.budget_minutes,
                    row.calendar,
                    values.instant(row.started_at),
                    values.instant(row.due_at),
                    values.instant(row.paused_at),
                    row.paused_seconds,
                    values.instant(row.met_at),
                    values.boolean(row.cancelled),
                    values.boolean(row.is_open),
                )
            )
        for dept_id in assists:
            out.assists.append((complaint_id, dept_id))


#: The builder forked workers use: set before the pool starts, inherited by the children.
_forked_builder: _Builder | None = None


def _build_forked(part: _Part) -> _Chunk:
    assert _forked_builder is not None, "the demo's worker started without a builder"
    return _forked_builder.chunk(part)


def _fork_context() -> multiprocessing.context.ForkContext | None:
    """Forking starts workers at once and, unlike spawning, never re-runs the caller's script;
    it is only safe without other threads (a lock another thread holds at the fork stays held in
    the child for ever) and is only trusted on Linux (macOS system libraries are not fork-safe).
    The children never touch the inherited database connection."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def _chunks(builder: _Builder, parts: list[_Part], workers: int) -> Iterator[_Chunk]:
    """The chunks' rows in order, built here or by `workers` forked processes.

    Building is most of the demo's work and needs nothing from the database, so on a large desk
    the workers build the next chunks while this process chains and inserts.
    """
    global _forked_builder
    context = _fork_context() if workers > 0 and len(parts) > 2 else None
    if context is None:
        for part in parts:
            yield builder.chunk(part)
        return
    _forked_builder = builder
    try:
        with ProcessPoolExecutor(workers, context) as pool:
            pending: deque[Future[_Chunk]] = deque()
            ahead = workers + 1  # keeps the workers busy; bounds the rows held in memory
            for part in parts:
                pending.append(pool.submit(_build_forked, part))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _forked_builder = None


def default_workers() -> int:
    """Worker processes for a large demo: one per core, at most four; none on a single core,
    where shipping rows between processes would only add work."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(4, cores)


# -- the transaction ------------------------------------------------------------------------


def _max_id(session: Session, table: str) -> int:
    t = _table(table)
    return int(session.execute(sa.select(func.coalesce(func.max(t.c.id), 0))).scalar_one())


def _reserve_numbers(session: Session, per_day: dict[str, int]) -> dict[str, int]:
    """Advance each day's counter past that day's demo cases with one atomic upsert per day,
    so intakes made afterwards (or meanwhile, on PostgreSQL) continue the sequence instead of
    colliding. Returns the first number of each day's block."""
    table = _table("day_sequence")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    first: dict[str, int] = {}
    for day in sorted(per_day):
        count = per_day[day]
        stmt = (
            insert(table)
            .values(day=day, last=count)
            .on_conflict_do_update(
                index_elements=[table.c.day], set_={"last": table.c.last + count}
            )
            .returning(table.c.last)
        )
        first[day] = int(session.execute(stmt).scalar_one()) - count + 1
    return first


def _sync_sequences(session: Session) -> None:
    """Rows went in with explicit ids; PostgreSQL's id sequences must move past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in ("customer", "complaint", "milestone", "case_event"):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        )


def _plain_now() -> datetime:
    """The clock's now as a plain datetime (the clock may hand out a pendulum one, whose
    arithmetic is several times slower), cut to whole seconds like the times people type."""
    moment = clock.now().astimezone(UTC)
    return datetime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        tzinfo=UTC,
    )


def generate(
    engine: Engine,
    *,
    cases: int,
    seed: int = 7,
    settings: Settings | None = None,
    policy: sla.SlaPolicy | None = None,
    calendars: sla.CalendarSet | None = None,
    workers: int | None = None,
) -> DemoStats:
    """Add `cases` complaints, with the staff, customers, milestones and events they need, in
    one transaction.

    The same seed and the same clock give the same desk on an empty database, whatever the
    number of `workers` (processes that build rows while this one inserts; default
    `default_workers()`, 0 for none). On a desk that already has cases, the demo's ids and
    numbers follow the existing ones.
    """
    started = time.perf_counter()  # a duration for the report, not a time of day
    settings = settings or load_settings()
    policy = policy or sla.load_policy(settings.sla.policy_file)
    calendars = calendars or sla.CalendarSet(settings.sla.calendar_dirs)
    workers = default_workers() if workers is None else workers
    with write_session(engine) as s:
        # Lock the chain's head first: on PostgreSQL concurrent writers queue behind the demo
        # (on SQLite the write transaction already excludes them).
        head = s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
        if head is None:
            head = AuditHead(id=1, last_event_id=0, last_hash=audit.GENESIS)
            s.add(head)
            s.flush()
        conn = s.connection()
        values = _Values(conn.dialect)
        builder = _Builder(seed, _ensure_people(s), policy, calendars, conn.dialect)
        teller = _Storyteller(
            random.Random(seed),
            _plain_now(),
            workflow.Rules(legal_review_amount=settings.legal_review_amount),
        )
        drafts = sorted((teller.draft() for _ in range(cases)), key=lambda d: d.created_at)
        days = [numbering.day_key(d.created_at, settings.tz) for d in drafts]
        per_day: dict[str, int] = {}
        for day in days:
            per_day[day] = per_day.get(day, 0) + 1
        next_seq = _reserve_numbers(s, per_day)

        # Who complains, and the ids: sequential, since a repeat complaint needs the caller's
        # earlier case and every chunk needs to know where its ids start.
        customers_t = _table("customer")
        known: dict[str, tuple[int, str, str, str, str]] = {
            row[2]: (row[0], row[1], row[2], row[3], row[4])
            for row in s.execute(
                sa.select(
                    customers_t.c.id,
                    customers_t.c.name,
                    customers_t.c.phone,
                    customers_t.c.email,
                    customers_t.c.tier,
                )
            ).all()
        }
        frequent: list[tuple[int, str, str, str, str]] = []
        last_case: dict[int, datetime] = {}
        window = timedelta(days=settings.repeat_window_days)
        complaint_id = _max_id(s, "complaint")
        customer_id = _max_id(s, "customer")
        event_id = head.last_event_id + 1
        milestone_id = _max_id(s, "milestone") + 1
        rng = teller.rng
        parts: list[_Part] = []
        customer_rows: list[list[tuple[Any, ...]]] = []
        new_customers = 0
        for start in range(0, len(drafts), BATCH):
            chunk: list[_Case] = []
            new: list[tuple[Any, ...]] = []
            events = milestones = 0
            for d, day in zip(
                drafts[start : start + BATCH], days[start : start + BATCH], strict=True
            ):
                if frequent and rng.random() < 0.2:
                    who = rng.choice(frequent)
                else:
                    customer_id += 1
                    fresh = teller.customer(customer_id, d.created_at)
                    who = known.get(fresh["phone"]) or (
                        customer_id,
                        fresh["name"],
                        fresh["phone"],
                        fresh["email"],
                        fresh["tier"],
                    )
                    if who[0] == customer_id:
                        new.append(
                            (
                                customer_id,
                                fresh["name"],
                                fresh["phone"],
                                fresh["other_phones"],
                                fresh["email"],
                                fresh["tier"],
                                values.instant(fresh["created_at"]),
                            )
                        )
                    if rng.random() < 0.08:
                        frequent.append(who)
                previous = last_case.get(who[0])
                last_case[who[0]] = d.created_at
                complaint_id += 1
                chunk.append(
                    _Case(
                        d,
                        complaint_id,
                        numbering.format_number(day, next_seq[day]),
                        who[0],
                        who[1],
                        who[2],
                        who[3],
                        who[4] == VIP,
                        previous is not None and d.created_at - previous <= window,
                    )
                )
                next_seq[day] += 1
                n_events, n_milestones = _counts(d)
                events += n_events
                milestones += n_milestones
            parts.append(_Part(len(parts), chunk, event_id, milestone_id, events, milestones))
            customer_rows.append(new)
            new_customers += len(new)
            event_id += events
            milestone_id += milestones
        values.forget()

        last_hash = head.last_hash or audit.GENESIS
        sql = values.sql
        for part, built, new in zip(
            parts, _chunks(builder, parts, workers), customer_rows, strict=True
        ):
            if len(built.events) != part.events or len(built.milestones) != part.milestones:
                raise RuntimeError("deskapp.demo: a chunk's rows do not match its reserved ids")
            linked, last_hash = _link(built.events, last_hash)
            # Parents before children: foreign keys are checked row by row.
            for table, rows in (
                ("customer", new),
                ("complaint", built.complaints),
                ("milestone", built.milestones),
                ("complaint_assist", built.assists),
                ("case_event", linked),
            ):
                if rows:
                    conn.exec_driver_sql(sql[table], rows)
        head.last_event_id, head.last_hash = event_id - 1, last_hash
        s.add(head)
        s.flush()
        _sync_sequences(s)
        # The mark `is_demo` looks for: the sign-in screen then lists the demo accounts.
        audit.append(s, kind=DEMO_EVENT, actor_id=None, payload={"cases": cases, "seed": seed})
    events = sum(part.events for part in parts) + 1
    return DemoStats(cases, new_customers, len(ROSTER), events, time.perf_counter() - started)
