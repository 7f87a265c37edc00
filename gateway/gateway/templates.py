"""Path templates of `google.api.http` rules: parsing and matching.

The grammar is the one in googleapis google/api/http.proto:

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    Verb     = ":" LITERAL ;
"""

import re
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import unquote

FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
FORBIDDEN_IN_LITERAL = set("{}*=:")


class TemplateError(ValueError):
    """A path template that does not follow the grammar."""


class SegmentKind(IntEnum):
    """What one segment matches; the order is the precedence: literals win over wildcards."""

    LITERAL = 0
    SINGLE = 1  # `*`, `{field}`: exactly one segment
    MULTI = 2  # `**`: the rest of the path, zero or more segments


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    literal: str = ""


@dataclass(frozen=True)
class Variable:
    """A `{field_path=...}` covering segments[start:end]."""

    field_path: str
    start: int
    end: int


@dataclass(frozen=True)
class PathTemplate:
    text: str
    segments: tuple[Segment, ...]
    variables: tuple[Variable, ...]
    verb: str

    @property
    def precedence(self) -> tuple:
        """Sort key: earlier literals first, then a template with a verb before one without."""
        return (tuple(segment.kind for segment in self.segments), not self.verb)

    @property
    def shape(self) -> tuple:
        """What the template matches, without its variable names: two routes of one HTTP method
        with the same shape conflict."""
        return (self.segments, self.verb)

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The variables' values when the still percent-encoded path fits this template, else None."""
        if not raw_path.startswith("/"):
            return None
        parts = raw_path[1:].split("/")
        if self.verb:
            suffix = ":" + self.verb
            if not parts[-1].endswith(suffix):
                return None
            parts[-1] = parts[-1][: -len(suffix)]
        ends_with_multi = self.segments[-1].kind is SegmentKind.MULTI
        if ends_with_multi:
            if len(parts) < len(self.segments) - 1:
                return None
        elif len(parts) != len(self.segments):
            return None
        for segment, part in zip(self.segments, parts, strict=False):
            if segment.kind is SegmentKind.LITERAL and decode_segment(part) != segment.literal:
                return None
            if segment.kind is SegmentKind.SINGLE and not part:
                return None
        values = {}
        for variable in self.variables:
            end = len(parts) if ends_with_multi and variable.end == len(self.segments) else variable.end
            covered = parts[variable.start : end]
            if len(covered) == 1 and self.segments[variable.start].kind is SegmentKind.SINGLE:
                values[variable.field_path] = decode_segment(covered[0])
            else:
                # http.proto: multi-segment values keep "%2F" encoded so that slashes stay distinguishable.
                values[variable.field_path] = "/".join(decode_segment(part, keep_slash=True) for part in covered)
        return values


def decode_segment(part: str, keep_slash: bool = False) -> str:
    if keep_slash:
        part = re.sub("%2[Ff]", "%252F", part)
    # surrogateescape keeps invalid UTF-8 visible, so that setting the field reports it.
    return unquote(part, errors="surrogateescape")


def parse_template(text: str) -> PathTemplate:
    """Parses a template such as `/v1/{name=shelves/*}/books:search`; raises TemplateError."""
    if not text.startswith("/"):
        raise TemplateError(f"path template {text!r} must start with '/'")
    path, verb = _split_verb(text[1:], text)
    segments: list[Segment] = []
    variables: list[Variable] = []
    for piece in _split_outside_braces(path, "/"):
        if piece.startswith("{"):
            if not piece.endswith("}"):
                raise TemplateError(f"unclosed variable {piece!r} in {text!r}")
            field_path, _, pattern = piece[1:-1].partition("=")
            if not FIELD_PATH.fullmatch(field_path):
                raise TemplateError(f"variable {piece!r} in {text!r} does not name a field path")
            if any(variable.field_path == field_path for variable in variables):
                raise TemplateError(f"variable {field_path!r} appears twice in {text!r}")
            start = len(segments)
            segments.extend(_plain_segment(part, text) for part in (pattern or "*").split("/"))
            variables.append(Variable(field_path, start, len(segments)))
        else:
            segments.append(_plain_segment(piece, text))
    if any(segment.kind is SegmentKind.MULTI for segment in segments[:-1]):
        raise TemplateError(f"'**' must be the last segment in {text!r}")
    return PathTemplate(text=text, segments=tuple(segments), variables=tuple(variables), verb=verb)


def _plain_segment(part: str, text: str) -> Segment:
    if part == "*":
        return Segment(SegmentKind.SINGLE)
    if part == "**":
        return Segment(SegmentKind.MULTI)
    if not part or FORBIDDEN_IN_LITERAL & set(part):
        raise TemplateError(f"bad segment {part!r} in {text!r}")
    return Segment(SegmentKind.LITERAL, part)


def _split_verb(path: str, text: str) -> tuple[str, str]:
    """Splits `users/{id}:buy` into (`users/{id}`, `buy`): the verb follows the last ':' outside braces."""
    depth = 0
    colon = -1
    for index, char in enumerate(path):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ":" and depth == 0:
            colon = index
        elif char == "/" and depth == 0:
            colon = -1
        if depth not in (0, 1):
            raise TemplateError(f"unbalanced or nested braces in {text!r}")
    if depth:
        raise TemplateError(f"unbalanced braces in {text!r}")
    if colon < 0:
        return path, ""
    verb = path[colon + 1 :]
    if not verb or FORBIDDEN_IN_LITERAL & set(verb) or "/" in verb:
        raise TemplateError(f"bad verb {verb!r} in {text!r}")
    return path[:colon], verb


def _split_outside_braces(path: str, separator: str) -> list[str]:
    pieces, current, depth = [], [], 0
    for char in path:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == separator and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces
