"""What a chapter's papermill `parameters` cell declares, and validation of the values a reader
passes on the command line (`python -m ionbook execute <slug> -p NAME VALUE`).

The parameters cell is the single source: every name bound at its top level (tuple assignments
such as ``mass, a, k1, k2 = 3.5, 3.0, 520.0, 170.0`` included) is a parameter, its default is the
assigned value, and its type follows from the default:

- ``quality`` takes ``"draft"`` or ``"paper"``;
- a ``str``, ``bool``, ``int`` or ``float`` default gives that type (an ``int`` is accepted where a
  ``float`` is expected);
- a ``None`` default means "chosen by the chapter"; an annotation states the type
  (``n_chain: int | None = None``), otherwise names starting with ``n_`` are integers,
  ``scheduler`` is a dask scheduler address (text), and any other name is a number.
"""
import ast
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .paths import repo_root

QUALITIES = ("draft", "paper")


class ParameterError(ValueError):
    """A chapter name, parameter name or parameter value that the chapter does not accept.
    The message is one line naming the allowed values."""


@dataclass
class Parameter:
    name: str
    default: object          # the evaluated default (None when the cell says None)
    default_text: str        # the default as written in the cell
    kind: str                # "str", "bool", "int", "float"
    nullable: bool = False   # None is allowed (the chapter then chooses)
    choices: tuple = None    # allowed values, when the set is closed
    help: str = ""           # the cell's comment on that line

    def allowed(self):
        """The allowed values, as one short phrase."""
        if self.choices:
            text = " or ".join(repr(c).replace("'", '"') for c in self.choices)
        else:
            text = {"str": "text", "bool": "True or False", "int": "an integer",
                    "float": "a number"}[self.kind]
            if self.name == "scheduler" and self.kind == "str":
                text = 'a dask scheduler address (e.g. "tcp://host:8786")'
        return text + (" or None (the chapter's choice)" if self.nullable else "")

    def type_name(self):
        return self.kind + (" | None" if self.nullable else "")


def _literal(node):
    """Value of a literal expression; arithmetic on number literals (e.g. ``1 / 3``) allowed."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator,
               ast.unaryop)
    tree = ast.Expression(body=node)
    if all(isinstance(n, allowed) for n in ast.walk(tree)):
        return eval(compile(ast.fix_missing_locations(tree), "<parameter>", "eval"), {}, {})
    raise ValueError(f"not a literal: {ast.unparse(node)}")


def _kind_from_annotation(ann):
    text = ast.unparse(ann).replace(" ", "")
    nullable = "None" in text or text.startswith("Optional[")
    for kind in ("bool", "int", "float", "str"):
        if re.search(rf"\b{kind}\b", text):
            return kind, nullable
    return None, nullable


def _kind(name, value, annotation=None):
    if annotation is not None:
        kind, nullable = _kind_from_annotation(annotation)
        if kind:
            return kind, nullable or value is None
    if value is None:
        if name == "scheduler":
            return "str", True
        return ("int" if name.startswith("n_") else "float"), True
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, typ):
            return kind, False
    return "str", False


def _comment(line):
    """The comment at the end of a source line (papermill shows it as the parameter's help)."""
    m = re.search(r"#\s*(.*)$", line)
    return m.group(1).strip() if m else ""


def parse_parameters_cell(source):
    """Parameters declared by the text of a parameters cell: {name: Parameter}, in order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value, ann = node.targets, node.value, None
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value, ann = [node.target], node.value, node.annotation
        else:
            continue
        help_ = _comment(lines[node.end_lineno - 1])
        for t in targets:
            if isinstance(t, ast.Name):
                pairs = [(t.id, value)]
            elif isinstance(t, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                    and len(t.elts) == len(value.elts):
                pairs = [(e.id, v) for e, v in zip(t.elts, value.elts) if isinstance(e, ast.Name)]
            else:
                continue
            for name, vnode in pairs:
                try:
                    default = _literal(vnode)
                except (ValueError, SyntaxError, ZeroDivisionError):
                    default = None
                kind, nullable = _kind(name, default, ann)
                choices = QUALITIES if name == "quality" else None
                out[name] = Parameter(name, default, ast.unparse(vnode), kind, nullable,
                                      choices, help_)
    return out


def chapter_source(slug, root=None):
    """Path of notebooks/<slug>.md; ParameterError naming the chapters if there is none."""
    root = Path(root or repo_root())
    src = root / "notebooks" / f"{slug}.md"
    if not src.is_file():
        raise ParameterError(f"unknown chapter {slug!r}; chapters: "
                             + ", ".join(known_chapters(root)))
    return src


GENERATED_PAGES = {"reproduction"}

CHAPTER_NEEDS = {"time-local-limits": ("diffusion",)}
"""Chapters that read another chapter's cached sweeps (time-local-limits compares with the
diffusion chapter's 3 ns runs): a whole-book reproduction runs them after the chapters they read."""
"""Pages in book/generated/ written by the pipeline itself rather than executed from a notebook."""


def chapter_slugs(root=None):
    """Slugs of the executed chapters that `_toc.yml` lists, in reading order."""
    root = Path(root or repo_root())
    toc = (root / "_toc.yml").read_text()
    found = re.findall(r"file:\s*book/generated/([\w\-]+)\s*$", toc, flags=re.M)
    return [s for s in found if s not in GENERATED_PAGES]


def known_chapters(root=None):
    """Chapter slugs in reading order (`_toc.yml`), then any other notebooks/*.md."""
    root = Path(root or repo_root())
    try:
        slugs = chapter_slugs(root)
    except OSError:
        slugs = []
    extra = sorted(p.stem for p in (root / "notebooks").glob("*.md") if p.stem not in slugs)
    return [s for s in slugs if (root / "notebooks" / f"{s}.md").is_file()] + extra


def chapter_title(slug, root=None):
    """The chapter's title: its first top-level Markdown heading."""
    text = chapter_source(slug, root).read_text()
    m = re.search(r"^# (.+)$", text, flags=re.M)
    return m.group(1).strip() if m else slug


def parameters_cell(slug, root=None):
    """Source of the chapter's cell tagged `parameters` ('' if it has none)."""
    import jupytext

    nb = jupytext.read(chapter_source(slug, root))
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return cell.source
    return ""


def parameter_specs(slug, root=None):
    """{name: Parameter} for every parameter of chapter `slug`, in the cell's order."""
    return parse_parameters_cell(parameters_cell(slug, root))


def chapter_parameters(slug, root=None):
    """Names declared in the chapter's `parameters` cell (tuple assignments included)."""
    return set(parameter_specs(slug, root))


def _parse_text(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def convert(spec, value):
    """The value `value` (a command-line string or a Python value) as parameter `spec` takes it;
    ParameterError (one line, naming the allowed values) if it does not fit."""
    raw = value
    if isinstance(value, str):
        value = value if spec.kind == "str" and value != "None" else _parse_text(value)
    bad = ParameterError(f"parameter {spec.name!r} must be {spec.allowed()}; got {raw!r}")
    if value is None:
        if spec.nullable:
            return None
        raise bad
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad
    if spec.kind == "int":
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise bad
    if spec.kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad
    value = str(value)
    if spec.choices and value not in spec.choices:
        raise bad
    return value


def validate(slug, parameters, root=None):
    """Check the chapter name, every parameter name and value; return the converted values.

    Raises ParameterError with a one-line message naming the allowed chapters, parameter names or
    values."""
    specs = parameter_specs(slug, root)
    out = {}
    for name, value in (parameters or {}).items():
        if name not in specs:
            raise ParameterError(f"chapter {slug!r} has no parameter {name!r}; its parameters: "
                                 + ", ".join(specs) + f" (see `python -m ionbook params {slug}`)")
        out[name] = convert(specs[name], value)
    return out


def differs_from_default(slug, parameters, root=None):
    """Names (other than quality and the dask scheduler, which change where a result is computed,
    not what it is) whose value differs from the chapter's default."""
    specs = parameter_specs(slug, root)
    return [n for n, v in parameters.items()
            if n not in ("quality", "scheduler") and n in specs and v != specs[n].default]


def describe(slug, root=None):
    """The text `python -m ionbook params <slug>` prints: one line per parameter."""
    specs = parameter_specs(slug, root)
    rows = [(p.name, p.default_text, p.type_name(), p.allowed(), p.help) for p in specs.values()]
    head = ("name", "default", "type", "allowed values", "meaning")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(4)]
    lines = [f"{chapter_title(slug, root)} ({slug}): {len(rows)} parameters", ""]
    for r in [head] + rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    lines += ["", f"set one with: python -m ionbook execute {slug} -p NAME VALUE"]
    return "\n".join(lines)


class _QuietPapermill(logging.Filter):
    """Drops papermill's warnings about parameters that ionbook has already validated (papermill
    cannot read tuple assignments, so it calls those names unknown)."""

    def filter(self, record):
        msg = record.getMessage()
        return not (msg.startswith("Passed unknown parameter") or "Unable to parse line" in msg)


QUIET_PAPERMILL = _QuietPapermill()
