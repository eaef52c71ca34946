"""Company names compared as people write them: case, accents, punctuation and legal-form words folded."""

from __future__ import annotations

import pytest

from finizi_b4b.tools.company_names import difference, fold, name_key


def test_folding_drops_case_accents_punctuation_and_extra_spaces():
    assert fold("  Công ty TNHH  Đại Việt, Hà Nội. ") == "cong ty tnhh dai viet ha noi"
    assert fold("ĐẠI VIỆT") == fold("dai viet") == "dai viet"


@pytest.mark.parametrize(
    ("on_invoices", "in_registry"),
    [
        ("Công ty TNHH Sao Mai", "CÔNG TY TNHH SAO MAI"),
        ("Công ty TNHH Sao Mai", "Cong ty trach nhiem huu han Sao Mai"),
        ("Công ty TNHH Sao Mai", "Sao Mai Co., Ltd"),
        ("Công ty TNHH Sao Mai", "SAO MAI COMPANY LIMITED"),
        ("Công ty TNHH MTV Sao Mai", "Công ty TNHH Một Thành Viên Sao Mai"),
        ("Công ty Cổ phần Sao Mai", "Công ty CP Sao Mai"),
        ("Công ty Cổ phần Sao Mai", "CTCP Sao Mai"),
        ("Công ty Cổ phần Sao Mai", "Sao Mai JSC"),
        ("Doanh nghiệp tư nhân Sao Mai", "DNTN Sao Mai"),
        ("Hợp tác xã Sao Mai", "HTX Sao Mai"),
        ("Chi nhánh Hà Nội - Công ty Cổ phần Sao Mai", "CHI NHÁNH HÀ NỘI CÔNG TY CP SAO MAI"),
        ("Sao Mai Co.", "Sao Mai"),
    ],
)
def test_the_same_name_however_it_is_written(on_invoices, in_registry):
    assert difference(on_invoices, in_registry) is None


@pytest.mark.parametrize(
    ("on_invoices", "in_registry", "differs"),
    [
        ("Công ty Cổ phần Sao Mai", "Công ty TNHH Sao Mai", "legal_form"),
        ("Công ty TNHH MTV Sao Mai", "Công ty Cổ phần Sao Mai", "legal_form"),
        ("Doanh nghiệp tư nhân Sao Mai", "Công ty TNHH Sao Mai", "legal_form"),
        ("Công ty TNHH Sao Mai", "Chi nhánh Công ty TNHH Sao Mai", "legal_form"),
        ("Công ty TNHH Sao Mai", "Công ty TNHH Sao Mai Việt", "name"),
        ("Công ty TNHH Sao Mai", "Công ty TNHH Mai Sao", "name"),
        ("Công ty TNHH Cơ khí Sao Mai", "Công ty TNHH Sao Mai", "name"),
    ],
)
def test_other_words_or_another_legal_form_differ(on_invoices, in_registry, differs):
    assert difference(on_invoices, in_registry) == differs


def test_a_key_holds_the_forms_apart_from_the_words():
    key = name_key("Công ty TNHH MTV Thương mại Sao Mai")
    assert key.forms == {"tnhh", "mtv"} and key.words == ("thuong", "mai", "sao", "mai")
    assert name_key("Cổ phần").words == () and name_key("").words == ()
