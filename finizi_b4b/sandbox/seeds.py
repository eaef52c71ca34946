"""The vocabulary of the demo world: the demo accounts, the companies, and the words names are made of.

Only constants live here; :mod:`finizi_b4b.sandbox.data` draws the world from them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from finizi_b4b.einvoice_xml import VAT_RATES  # the VAT rates in use, in percent

__all__ = [
    "ACCOUNTANT_ENTITY",
    "CITIES",
    "CUSTOMERS",
    "DEMO_ACCOUNTANT",
    "DEMO_ADMIN",
    "ENTITY_SEEDS",
    "EPOCH",
    "PRODUCT_BASES",
    "PRODUCT_VARIANTS",
    "SERIES",
    "STATUSES",
    "STATUS_WEIGHTS",
    "STREETS",
    "VAT_RATES",
    "VAT_RATE_IDS",
    "VAT_WEIGHTS",
    "VENDOR_CORES",
    "VENDOR_FORMS",
    "VENDOR_TRADES",
    "DemoUser",
    "normalize_phone",
]

EPOCH = dt.datetime(2025, 1, 2, 8, 0, tzinfo=dt.UTC)
STATUSES = ("draft", "issued", "validated", "paid", "cancelled")
STATUS_WEIGHTS = (1, 3, 3, 6, 1)
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


# The backend refers to VAT rates by id (a product's ``default_vat_rate_id``); fixed ids per rate.
VAT_RATE_IDS = {
    rate: str(uuid.uuid5(uuid.NAMESPACE_URL, f"finizi-b4b-sandbox:vat-rate:{rate}")) for rate in VAT_RATES
}

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
