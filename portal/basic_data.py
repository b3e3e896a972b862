"""The basic-data rules of documented step 7, as the server applies them: when the form is sent, and again before
the password page may register what was saved."""

from __future__ import annotations

from datetime import date

from portal.idnumber import IdNumberError, Sex, validate_id_number
from portal.store import Application

MINIMUM_AGE = 7  # under-7s cannot register (docs/protocols/taipeipass.md#the-flow)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_profile(name: str, id_number: str, birth_date: str, sex: str, address: str, today: date) -> list[str]:
    """Every problem with the basic data, each in the words the citizen reads."""
    errors = []
    if not 2 <= len(name.strip()) <= 30:
        errors.append("請填寫姓名（2 至 30 個字）。")
    sex_value = Sex(sex) if sex in {s.value for s in Sex} else None
    if sex_value is None:
        errors.append("請選擇性別。")
    try:
        validate_id_number(id_number.strip(), sex_value)
    except IdNumberError as error:
        errors.append(f"{error}。")
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        errors.append("請填寫出生日期。")
    else:
        if born > today:
            errors.append("出生日期不可晚於今天。")
        elif _age(born, today) < MINIMUM_AGE:
            errors.append(f"未滿 {MINIMUM_AGE} 歲無法註冊臺北卡會員。")
    if len(address.strip()) < 5:
        errors.append("請填寫完整地址。")
    return errors


def saved_problems(application: Application, today: date) -> list[str]:
    """check_profile of what the application saved; a field never filled in counts as empty."""
    a = application
    return check_profile(a.name or "", a.id_number or "", a.birth_date or "", a.sex or "", a.address or "", today)
