"""The sandbox's in-memory world: users, entities, invoices, vendors, products.

Everything is generated from one seed with :class:`random.Random`, so a given
seed always gives the same ids, names and amounts. Records are plain dicts in
the API's own shape; the application serves copies of them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from typing import Any

import attrs

__all__ = ["DEMO_ACCOUNTANT", "DEMO_ADMIN", "DemoUser", "State", "build_state", "normalize_phone"]

EPOCH = dt.datetime(2025, 1, 2, 8, 0, tzinfo=dt.UTC)
STATUSES = ("draft", "issued", "validated", "paid", "cancelled")
STATUS_WEIGHTS = (1, 3, 3, 6, 1)
VAT_RATES = (0, 5, 8, 10)
VAT_WEIGHTS = (1, 2, 3, 6)


@attrs.frozen
class DemoUser:
    phone: str
    password: str = attrs.field(repr=False)
    email: str
    full_name: str


DEMO_ADMIN = DemoUser("+84909495665", "Admin123@", "admin@finizi.ai", "Quản trị viên Finizi")
DEMO_ACCOUNTANT = DemoUser("+84901234567", "Demo123@", "ketoan@saomai.vn", "Nguyễn Thị Lan")


def normalize_phone(phone: str) -> str:
    """``0909495665``, ``84909495665`` and ``+84 909 495 665`` are all ``+84909495665``."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+").lstrip("+")
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("84") and len(digits) == 11:
        return "+" + digits
    if digits.startswith("0"):
        return "+84" + digits[1:]
    return digits


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(rng: random.Random, start: dt.datetime = EPOCH, days: int = 600) -> str:
    moment = start + dt.timedelta(seconds=rng.randrange(days * 86400))
    return moment.isoformat().replace("+00:00", "Z")


# -- the companies -------------------------------------------------------------

ENTITY_SEEDS = (
    # name, tax id, address, phone, email, invoices
    (
        "Công ty TNHH Thương mại Dịch vụ Sao Việt",
        "0316247298",
        "123 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "02838221234",
        "ketoan@saoviet.vn",
        640,
    ),
    (
        "Công ty Cổ phần Công nghệ Sao Mai",
        "0109876543",
        "45 Trần Duy Hưng, Phường Trung Hòa, Quận Cầu Giấy, Hà Nội",
        "02437651234",
        "info@saomai.vn",
        240,
    ),
    (
        "Công ty TNHH Bao bì Đà Nẵng Xanh",
        "0401234567",
        "78 Nguyễn Văn Linh, Phường Nam Dương, Quận Hải Châu, Đà Nẵng",
        "02363821234",
        "lienhe@dananggreen.vn",
        200,
    ),
)
ACCOUNTANT_ENTITY = 1  # the accountant works for Sao Mai only

VENDOR_FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân", "Hợp tác xã")
VENDOR_CORES = (
    "Thiên Long",
    "Hoàng Phát",
    "Minh Anh",
    "Phú Thịnh",
    "An Khang",
    "Đại Việt",
    "Hưng Thịnh",
    "Nam Sơn",
    "Bình Minh",
    "Trường Giang",
    "Kim Ngân",
    "Hồng Hà",
    "Thành Công",
    "Phương Đông",
    "Tân Tiến",
    "Việt Úc",
    "Hải Âu",
    "Sông Hàn",
    "Tràng An",
    "Lạc Hồng",
    "Gia Phát",
    "Toàn Cầu",
    "Quang Minh",
    "Thái Bình",
)
VENDOR_TRADES = (
    "Thương mại",
    "Vận tải",
    "Văn phòng phẩm",
    "Thực phẩm",
    "Xây dựng",
    "Công nghệ",
    "In ấn",
    "Điện máy",
    "Bao bì",
    "Dịch vụ",
    "Nông sản",
    "Logistics",
)
STREETS = (
    "Lê Lợi",
    "Hai Bà Trưng",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Pasteur",
    "Võ Văn Tần",
    "Phan Đình Phùng",
    "Hoàng Diệu",
    "Bạch Đằng",
)
CITIES = (
    "Quận 1, TP. Hồ Chí Minh",
    "Quận 3, TP. Hồ Chí Minh",
    "Quận Bình Thạnh, TP. Hồ Chí Minh",
    "Quận Ba Đình, Hà Nội",
    "Quận Đống Đa, Hà Nội",
    "Quận Hải Châu, Đà Nẵng",
    "TP. Biên Hòa, Đồng Nai",
    "TP. Thủ Dầu Một, Bình Dương",
    "Quận Ninh Kiều, Cần Thơ",
    "TP. Hải Phòng",
)
# name, unit, price (VND), vat rate, category
PRODUCT_BASES = (
    ("Giấy in A4 Double A 80gsm", "ram", 78_000, 10, "Văn phòng phẩm"),
    ("Bút bi Thiên Long TL-027", "hộp", 55_000, 10, "Văn phòng phẩm"),
    ("Mực in HP 26A", "hộp", 1_850_000, 10, "Văn phòng phẩm"),
    ("Bìa hồ sơ nhựa", "cái", 12_000, 10, "Văn phòng phẩm"),
    ("Sổ tay bìa da", "quyển", 65_000, 10, "Văn phòng phẩm"),
    ("Cà phê Robusta rang xay", "gói", 95_000, 8, "Thực phẩm"),
    ("Trà xanh Thái Nguyên", "hộp", 120_000, 8, "Thực phẩm"),
    ("Nước suối Lavie 500ml", "thùng", 96_000, 8, "Thực phẩm"),
    ("Gạo ST25", "bao", 420_000, 5, "Nông sản"),
    ("Đường tinh luyện Biên Hòa", "kg", 28_000, 5, "Nông sản"),
    ("Sữa tươi Vinamilk 1L", "thùng", 360_000, 5, "Thực phẩm"),
    ("Thùng carton 5 lớp", "cái", 18_500, 10, "Bao bì"),
    ("Băng keo trong 5cm", "cuộn", 14_000, 10, "Bao bì"),
    ("Màng PE quấn pallet", "cuộn", 165_000, 10, "Bao bì"),
    ("Túi giấy kraft", "cái", 3_200, 10, "Bao bì"),
    ("Dịch vụ vận chuyển nội thành", "chuyến", 450_000, 8, "Dịch vụ"),
    ("Dịch vụ vệ sinh văn phòng", "tháng", 6_500_000, 8, "Dịch vụ"),
    ("Phí bảo trì máy lạnh", "lần", 350_000, 8, "Dịch vụ"),
    ("Dịch vụ tư vấn thuế", "giờ", 1_200_000, 10, "Dịch vụ"),
    ("Phần mềm kế toán bản quyền", "năm", 8_900_000, 0, "Công nghệ"),
    ("Chuột không dây Logitech M331", "cái", 385_000, 10, "Công nghệ"),
    ("Bàn phím cơ", "cái", 1_150_000, 10, "Công nghệ"),
    ("Màn hình Dell 24 inch", "cái", 3_990_000, 10, "Công nghệ"),
    ("Cáp mạng Cat6", "thùng", 2_450_000, 10, "Công nghệ"),
    ("Ổ cứng SSD 512GB", "cái", 1_390_000, 10, "Công nghệ"),
    ("Xi măng Hà Tiên PCB40", "bao", 92_000, 10, "Xây dựng"),
    ("Thép cuộn D6", "kg", 17_800, 10, "Xây dựng"),
    ("Sơn nước nội thất Dulux", "thùng", 1_650_000, 10, "Xây dựng"),
    ("Gạch men 60x60", "m2", 215_000, 10, "Xây dựng"),
    ("Dầu diesel 0,05S", "lít", 20_100, 10, "Nhiên liệu"),
    ("Xăng RON 95-III", "lít", 22_500, 10, "Nhiên liệu"),
    ("Sách giáo khoa tiếng Việt", "cuốn", 32_000, 0, "Sách"),
    ("Thuốc hạ sốt Paracetamol 500mg", "hộp", 45_000, 5, "Dược phẩm"),
    ("Khẩu trang y tế 4 lớp", "hộp", 38_000, 5, "Dược phẩm"),
    ("Nước rửa tay khô", "chai", 59_000, 10, "Hóa phẩm"),
    ("Nước lau sàn Sunlight", "can", 112_000, 10, "Hóa phẩm"),
    ("Ghế xoay văn phòng", "cái", 1_450_000, 10, "Nội thất"),
    ("Bàn làm việc gỗ MDF", "cái", 2_300_000, 10, "Nội thất"),
    ("Tủ hồ sơ sắt", "cái", 3_100_000, 10, "Nội thất"),
    ("Phân bón NPK 16-16-8", "bao", 680_000, 5, "Nông sản"),
)
PRODUCT_VARIANTS = (
    ("", 1.0),
    (" loại 1", 1.15),
    (" loại 2", 0.9),
    (" (gói lớn)", 1.8),
    (" nhập khẩu", 1.35),
    (" cao cấp", 1.6),
)
SERIES = ("C25TAA", "C25TBB", "C26TAA", "C26TSV", "K25TMN", "C25MHD")


def _tax_id(rng: random.Random, used: set[str]) -> str:
    while True:
        value = f"0{rng.randrange(100_000_000, 999_999_999)}"
        if value not in used:
            used.add(value)
            return value


def _address(rng: random.Random) -> str:
    return f"{rng.randrange(1, 400)} {rng.choice(STREETS)}, {rng.choice(CITIES)}"


def _money(value: float) -> int:
    return round(value)


@attrs.define
class State:
    """All sandbox data, plus the sessions; a restart resets it."""

    users: dict[str, dict[str, Any]] = attrs.Factory(dict)
    passwords: dict[str, str] = attrs.Factory(dict)  # user id -> password
    phones: dict[str, str] = attrs.Factory(dict)  # normalized phone -> user id
    memberships: dict[tuple[str, str], str] = attrs.Factory(dict)  # (user id, entity id) -> role
    entities: dict[str, dict[str, Any]] = attrs.Factory(dict)
    invoices: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)  # entity id -> newest first
    invoice_index: dict[str, dict[str, Any]] = attrs.Factory(dict)
    vendors: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    vendor_index: dict[str, dict[str, Any]] = attrs.Factory(dict)
    products: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    access_tokens: dict[str, tuple[str, float]] = attrs.Factory(dict)  # token -> (user id, expires at)
    refresh_tokens: dict[str, str] = attrs.Factory(dict)  # token -> user id
    refresh_of: dict[str, str] = attrs.Factory(dict)  # access token -> the refresh token issued with it
    issued_tokens: list[str] = attrs.Factory(list)
    counts: Counter[str] = attrs.Factory(Counter)

    def role(self, user_id: str, entity_id: str) -> str | None:
        return self.memberships.get((user_id, entity_id))

    def entities_of(self, user_id: str) -> list[tuple[dict[str, Any], str]]:
        """The entities a user belongs to, with the role, in creation order."""
        return [(self.entities[eid], role) for (uid, eid), role in self.memberships.items() if uid == user_id]


def _vendors(rng: random.Random, entity_id: str, used: set[str]) -> list[dict[str, Any]]:
    vendors = []
    names: set[str] = set()
    while len(vendors) < 56:
        name = f"{rng.choice(VENDOR_FORMS)} {rng.choice(VENDOR_TRADES)} {rng.choice(VENDOR_CORES)}"
        if name in names:
            continue
        names.add(name)
        vendors.append(
            {
                "id": _uuid(rng),
                "entity_id": entity_id,
                "name": name,
                "tax_id": _tax_id(rng, used),
                "address": _address(rng),
                "phone": f"028{rng.randrange(30_000_000, 39_999_999)}",
                "email": None,
                "parent_tax_id": None,
                "created_at": _stamp(rng),
            }
        )
    # A distributor with a Hà Nội branch: the branch bills under NNNNNNNNNN-001.
    parent = vendors[0]
    parent["name"] = "Công ty Cổ phần Phân phối Miền Nam"
    branch = vendors[1]
    branch.update(
        name="Chi nhánh Hà Nội - Công ty Cổ phần Phân phối Miền Nam",
        tax_id=f"{parent['tax_id']}-001",
        parent_tax_id=parent["tax_id"],
        address="18 Láng Hạ, Quận Đống Đa, Hà Nội",
    )
    for vendor in vendors:
        slug = "".join(ch for ch in vendor["tax_id"] if ch.isdigit())[-4:]
        vendor["email"] = f"hoadon{slug}@example.vn"
    return vendors


def _products(rng: random.Random, entity_id: str, prefix: str) -> list[dict[str, Any]]:
    combos = [(base, variant) for base in PRODUCT_BASES for variant in PRODUCT_VARIANTS]
    rng.shuffle(combos)
    products = []
    for number, ((name, unit, price, rate, category), (suffix, factor)) in enumerate(combos[:210], start=1):
        products.append(
            {
                "id": _uuid(rng),
                "entity_id": entity_id,
                "name": name + suffix,
                "sku": f"{prefix}-{number:04d}",
                "unit": unit,
                "unit_price": _money(price * factor / 100) * 100,
                "vat_rate": rate,
                "category": category,
                "description": f"{category}: {name.lower()}{suffix}",
                "is_active": True,
                "created_at": _stamp(rng),
            }
        )
    return products


def make_invoice(
    *,
    invoice_id: str,
    entity: dict[str, Any],
    series: str,
    number: str,
    issue_date: dt.date,
    direction: int,
    status: str,
    counterpart: dict[str, Any],
    vendor_id: str | None,
    lines: list[dict[str, Any]],
    created_at: str,
    currency: str = "VND",
) -> dict[str, Any]:
    """An invoice record whose totals are the sums of its lines."""
    line_items = []
    before_tax = tax = 0
    for number_in_list, line in enumerate(lines, start=1):
        amount = _money(line["quantity"] * line["unit_price"])
        line_tax = _money(amount * line["vat_rate"] / 100)
        before_tax += amount
        tax += line_tax
        line_items.append(
            {
                "line_number": number_in_list,
                "description": line["description"],
                "unit": line.get("unit"),
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "vat_rate": line["vat_rate"],
                "amount": amount,
                "tax_amount": line_tax,
            }
        )
    seller, buyer = (counterpart, entity) if direction == 0 else (entity, counterpart)
    return {
        "id": invoice_id,
        "entity_id": entity["id"],
        "invoice_series": series,
        "invoice_number": number,
        "issue_date": issue_date.isoformat(),
        "direction": direction,
        "status": status,
        "seller_name": seller["name"],
        "seller_tax_id": seller.get("tax_id"),
        "seller_address": seller.get("address"),
        "buyer_name": buyer["name"],
        "buyer_tax_id": buyer.get("tax_id"),
        "buyer_address": buyer.get("address"),
        "vendor_id": vendor_id,
        "currency": currency,
        "total_amount_before_tax": before_tax,
        "total_tax_amount": tax,
        "total_amount": before_tax + tax,
        "line_items": line_items,
        "created_at": created_at,
        "updated_at": created_at,
    }


CUSTOMERS = (
    "Công ty TNHH Nhà hàng Phố Cổ",
    "Trường Tiểu học Lê Quý Đôn",
    "Công ty CP Dược phẩm Hậu Giang",
    "Khách sạn Biển Xanh",
    "Công ty TNHH Siêu thị Tiện Lợi",
    "Bệnh viện Đa khoa Tâm Đức",
    "Công ty CP Xây dựng Hòa Bình Mới",
    "Chuỗi cà phê Hạt Nâu",
)


def _invoices(
    rng: random.Random,
    entity: dict[str, Any],
    count: int,
    vendors: list[dict[str, Any]],
    products: list[dict[str, Any]],
    used: set[str],
) -> list[dict[str, Any]]:
    customers = [{"name": name, "tax_id": _tax_id(rng, used), "address": _address(rng)} for name in CUSTOMERS]
    numbers: Counter[str] = Counter()
    start = dt.date(2025, 1, 1)
    span = (dt.date(2026, 10, 31) - start).days
    invoices = []
    for _ in range(count):
        direction = 0 if rng.random() < 0.6 else 1
        series = rng.choice(SERIES)
        numbers[series] += 1
        issue_date = start + dt.timedelta(days=rng.randrange(span + 1))
        if direction == 0:
            vendor = rng.choice(vendors)
            counterpart, vendor_id = vendor, vendor["id"]
        else:
            counterpart, vendor_id = rng.choice(customers), None
        lines = []
        for product in rng.sample(products, rng.randrange(1, 6)):
            rate = product["vat_rate"] if rng.random() < 0.8 else rng.choices(VAT_RATES, VAT_WEIGHTS)[0]
            lines.append(
                {
                    "description": product["name"],
                    "unit": product["unit"],
                    "quantity": rng.choice((1, 1, 2, 3, 5, 10, 12, 20, 50, 100)),
                    "unit_price": product["unit_price"],
                    "vat_rate": rate,
                }
            )
        created = dt.datetime.combine(issue_date, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randrange(600)
        )
        invoices.append(
            make_invoice(
                invoice_id=_uuid(rng),
                entity=entity,
                series=series,
                number=str(numbers[series] * 7 + rng.randrange(7)),
                issue_date=issue_date,
                direction=direction,
                status=rng.choices(STATUSES, STATUS_WEIGHTS)[0],
                counterpart=counterpart,
                vendor_id=vendor_id,
                lines=lines,
                created_at=created.isoformat().replace("+00:00", "Z"),
            )
        )
    invoices.sort(key=lambda inv: (inv["issue_date"], inv["created_at"], inv["id"]), reverse=True)
    return invoices


def build_state(seed: int = 0) -> State:
    """The whole demo world for ``seed``."""
    rng = random.Random(seed)
    state = State()
    admin_id, accountant_id = _uuid(rng), _uuid(rng)
    for user_id, user, admin in ((admin_id, DEMO_ADMIN, True), (accountant_id, DEMO_ACCOUNTANT, False)):
        state.users[user_id] = {
            "id": user_id,
            "email": user.email,
            "phone": user.phone,
            "full_name": user.full_name,
            "is_super_admin": admin,
            "is_active": True,
            "created_at": _stamp(rng),
        }
        state.passwords[user_id] = user.password
        state.phones[normalize_phone(user.phone)] = user_id
    used: set[str] = {seed_row[1] for seed_row in ENTITY_SEEDS}
    for index, (name, tax_id, address, phone, email, count) in enumerate(ENTITY_SEEDS):
        entity_id = _uuid(rng)
        created = _stamp(rng, days=30)
        entity = {
            "id": entity_id,
            "name": name,
            "tax_id": tax_id,
            "address": address,
            "phone": phone,
            "email": email,
            "created_at": created,
            "updated_at": created,
        }
        state.entities[entity_id] = entity
        state.memberships[(admin_id, entity_id)] = "owner"
        if index == ACCOUNTANT_ENTITY:
            state.memberships[(accountant_id, entity_id)] = "accountant"
        vendors = _vendors(rng, entity_id, used)
        products = _products(rng, entity_id, f"SP{index + 1}")
        invoices = _invoices(rng, entity, count, vendors, products, used)
        state.vendors[entity_id] = vendors
        state.products[entity_id] = products
        state.invoices[entity_id] = invoices
        state.vendor_index.update((v["id"], v) for v in vendors)
        state.invoice_index.update((inv["id"], inv) for inv in invoices)
    return state
