"""The five-level network and the posts staff hold in it (DESIGN.md §1, §4; POLICY.md §8)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Level(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWN = "town", _("town / street")
    VILLAGE = "village", _("village / neighborhood")
    GROUP = "group", _("group")
    GRID = "grid", _("grid")


# Code length per level: 2-digit province, 4 city, 6 county, 9 town, 12 village; SafetyNet
# assigns 3 more digits to a group and 3 more to a grid (DESIGN.md §4).
CODE_LENGTHS = {
    Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWN: 9,
    Level.VILLAGE: 12, Level.GROUP: 15, Level.GRID: 18,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}
LEVEL_ORDER = list(CODE_LENGTHS)


class UrbanRuralClass(models.TextChoices):
    """The 3-digit urban-rural class of a village (POLICY.md §8)."""

    MAIN_URBAN = "111", _("111 main urban area")
    URBAN_FRINGE = "112", _("112 urban-rural fringe")
    TOWN_CENTRE = "121", _("121 town centre")
    TOWN_FRINGE = "122", _("122 town-rural fringe")
    SPECIAL = "123", _("123 special area")
    TOWNSHIP_CENTRE = "210", _("210 township centre")
    VILLAGE = "220", _("220 village")


class Area(models.Model):
    """A node of the network. The code is the primary key, so what refers to an area keeps
    referring to it through a rename, and a subtree is a code prefix."""

    code = models.CharField(primary_key=True, max_length=18, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    level = models.CharField(max_length=16, choices=Level.choices, verbose_name=_("level"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", db_index=False,
                               verbose_name=_("parent"))
    urban_rural_class = models.CharField(max_length=3, choices=UrbanRuralClass.choices, blank=True, verbose_name=_("urban-rural class"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        # One level, or one parent's children, in code order: a list of 620,000 villages is paged
        # by code (`after`). Four indexes in all (these two, the primary key and its prefix-LIKE
        # twin on PostgreSQL), where there were eight: the name is searched with `icontains`,
        # which no index serves, and a bulk import maintains every index (docs/benchmarks.md).
        indexes = [models.Index(fields=["level", "code"], name="area_level_code"),
                   models.Index(fields=["parent", "code"], name="area_parent_code")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | models.Q(level__in=[l for l in LEVEL_ORDER if l != Level.PROVINCE]),
                name="area_province_has_no_parent",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_urban(self) -> bool:
        """Urban when the class starts with 1 (POLICY.md §8); picks the urban or rural standard.
        For a village whose class is unknown (`class_unknown`) no standard applies: the rules
        refuse it (programs.selectors.urban_for), whatever this says."""
        return self.urban_rural_class.startswith("1") if self.urban_rural_class else False

    @property
    def class_unknown(self) -> bool:
        """A village imported without its urban-rural class (the national list carries none): it
        needs one before a standard can apply to it (ADR 0006). Stored blank, never guessed."""
        return self.level == Level.VILLAGE and not self.urban_rural_class

    def ancestor_codes(self) -> list[str]:
        return [self.code[:n] for n in CODE_LENGTHS.values() if n < len(self.code)]


class Post(models.Model):
    """A role held at an area. A person may hold several and switches between them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts", verbose_name=_("user"))
    role = models.CharField(max_length=32, choices=Role.choices, verbose_name=_("role"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="posts", verbose_name=_("area"))
    title = models.CharField(max_length=100, blank=True, verbose_name=_("title"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "role", "area"], name="post_unique_role_area")]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self):
        return f"{self.get_role_display()} @ {self.area.name}"


class ApiToken(models.Model):
    """A bearer token for programs (`safetynet token create USERNAME`). Only its SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("post"))
    name = models.CharField(max_length=100, blank=True, verbose_name=_("name"))
    prefix = models.CharField(max_length=12, verbose_name=_("prefix"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
