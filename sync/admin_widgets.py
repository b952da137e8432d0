"""Form widgets and fields for the connector page: claims as a small table, segments by name,
text inputs with suggestions (a <datalist>, so free text stays allowed)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _json_or_list(data, name) -> list | None:
    """A raw JSON list posted under `name` (scripts, the old form) is accepted as well."""
    raw = data.get(name)
    if isinstance(raw, str) and raw.strip().startswith("["):
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, list) else None
    return None


def datalist_html(list_id: str, options: list[tuple[str, str]]) -> str:
    return format_html(
        '<datalist id="{}">{}</datalist>',
        list_id,
        format_html_join("", '<option value="{}">{}</option>', options),
    )


class SuggestInput(forms.TextInput):
    """A text input offering `options` [(value, label)]; anything else may still be typed."""

    def __init__(self, options=(), attrs=None):
        super().__init__(attrs)
        self.options = list(options)

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or 'id_' + name}_options"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off"}
        return mark_safe(super().render(name, value, attrs, renderer) + datalist_html(list_id, self.options))


class ClaimsTableWidget(forms.Widget):
    """Rows of (Hull identifier, Outreach field) selects; one blank row to add another."""

    def __init__(self, hull_choices, service_choices, attrs=None):
        super().__init__(attrs)
        self.hull_choices = hull_choices
        self.service_choices = service_choices

    def value_from_datadict(self, data, files, name):
        raw = _json_or_list(data, name)
        if raw is not None:
            return raw
        rows = []
        for i in range(50):
            hull, service = data.get(f"{name}-{i}-hull"), data.get(f"{name}-{i}-service")
            if hull is None and service is None:
                break
            if (hull or "").strip() or (service or "").strip():
                rows.append({"hull": (hull or "").strip(), "service": (service or "").strip()})
        return rows

    def _select(self, name, value, choices):
        options = [("", "—")] + list(choices)
        if value and value not in dict(options):
            options.append((value, value))
        return format_html(
            '<select name="{}">{}</select>',
            name,
            format_html_join(
                "", '<option value="{}"{}>{}</option>', ((v, mark_safe(" selected") if v == value else "", label) for v, label in options)
            ),
        )

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        rows = list(value or []) + [{"hull": "", "service": ""}]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>↔</td><td>{}</td></tr>",
            (
                (
                    self._select(f"{name}-{i}-hull", row.get("hull", ""), self.hull_choices),
                    self._select(f"{name}-{i}-service", row.get("service", ""), self.service_choices),
                )
                for i, row in enumerate(rows)
            ),
        )
        return format_html(
            '<table class="hr-claims"><thead><tr><th>Hull</th><th></th><th>Outreach</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            body,
        )


class ClaimsField(forms.Field):
    def __init__(self, *, hull_allowed, service_allowed, service_suggestions, **kwargs):
        self.hull_allowed = sorted(hull_allowed)
        self.service_allowed = sorted(service_allowed) if service_allowed else None
        service_choices = [(s, s) for s in (self.service_allowed or service_suggestions)]
        kwargs.setdefault(
            "widget", ClaimsTableWidget([(h, h) for h in self.hull_allowed], service_choices)
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = value or []
        if not isinstance(value, list) or not value:
            raise ValidationError("Give at least one identifier, e.g. email ↔ emails.")
        claims = []
        for row in value:
            if not isinstance(row, dict) or not row.get("hull") or not row.get("service"):
                raise ValidationError("Each row needs both a Hull identifier and an Outreach field.")
            if row["hull"] not in self.hull_allowed:
                raise ValidationError(f"Hull identifier must be one of {', '.join(self.hull_allowed)}.")
            if self.service_allowed and row["service"] not in self.service_allowed:
                raise ValidationError(f"Outreach field must be one of {', '.join(self.service_allowed)}.")
            claims.append({"hull": row["hull"], "service": row["service"]})
        return claims


class SegmentPickerWidget(forms.Widget):
    """Checkboxes of the segments seen, by name (the ids are stored), plus a box for other ids."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.segments: list[tuple[str, str]] = []  # (hull id, name), set by the form

    def value_from_datadict(self, data, files, name):
        raw = _json_or_list(data, name)
        if raw is not None:
            return raw
        ids = list(data.getlist(name)) if hasattr(data, "getlist") else list(data.get(name) or [])
        other = data.get(f"{name}_other", "") or ""
        ids += [s.strip() for s in other.replace(",", " ").split() if s.strip()]
        return list(dict.fromkeys(i for i in ids if i))

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        chosen = list(value or [])
        known = dict(self.segments)
        boxes = [
            (name, seg_id, mark_safe(" checked") if seg_id in chosen else "", label, seg_id)
            for seg_id, label in self.segments
        ]
        unknown = [seg_id for seg_id in chosen if seg_id not in known]
        items = format_html_join(
            "",
            '<li><label><input type="checkbox" name="{}" value="{}"{}> {} <small class="quiet">{}</small></label></li>',
            boxes,
        )
        empty = "" if self.segments else format_html(
            "<li class='quiet'>{}</li>", "No segment seen yet: Hull lists them in its notifications."
        )
        return format_html(
            '<ul class="hr-segments" style="list-style:none;padding:0;margin:0">{}{}</ul>'
            '<label>Other segment ids (not seen yet): <input type="text" name="{}_other" value="{}" size="60"></label>',
            items,
            empty,
            name,
            " ".join(unknown),
        )


class SegmentIdsField(forms.Field):
    widget = SegmentPickerWidget

    def clean(self, value):
        value = value or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValidationError("Choose segments, or type segment ids separated by spaces.")
        return value


class ChoicesOrJsonWidget(forms.CheckboxSelectMultiple):
    """Checkboxes; a raw JSON list posted instead (scripts, the old form) is read as that list."""

    def value_from_datadict(self, data, files, name):
        raw = _json_or_list(data, name)
        return raw if raw is not None else super().value_from_datadict(data, files, name)
