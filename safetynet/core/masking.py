"""Masking of personal data for roles that do not need it whole (DESIGN.md §5, POLICY.md §7)."""


def mask_id_number(number: str | None) -> str:
    """Keep the area prefix and the last 4 characters: enough to tell two people apart at a desk."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str | None) -> str:
    """Surname plus one character, the rest starred (POLICY.md §7 public default)."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[:2] + "*" * (len(name) - 2)


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str | None) -> str:
    """The first character of the name and the whole domain: z***@example.org."""
    if not email:
        return ""
    name, at, domain = email.partition("@")
    if not at:
        return mask_phone(email)
    return (name[:1] + "***") + "@" + domain
