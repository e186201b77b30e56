"""MyST constructs as plain Markdown that JupyterLab (or any Jupyter front end) shows readably.

The book's chapters use MyST: ``(label)=`` targets, ``{eq}``/``{cite}``/``{ref}``/``{numref}``
roles, labelled display equations ``$$ … $$ (label)``, fenced directives (``{exercise}``,
``{note}`` …) and figure captions stored in cell metadata. In a plain notebook those show as raw
markup (or not at all, for the captions). :class:`Numbering` works out the numbers the online
book gives (per chapter: equation (6.2), Fig. 6.2, Exercise 6.2) and :func:`plain_markdown`
rewrites a Markdown text with them.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w\-:]+)\}(?P<arg>.*)$")
_TARGET = re.compile(r"^\s*\(([\w\-:.]+)\)=\s*$")
_EQ_LABEL = re.compile(r"^(\s*)\$\$\s*\(([\w\-:.]+)\)\s*$")
_ROLE = re.compile(r"\{(?P<role>[\w:\-]+)\}`(?P<body>[^`]*)`")
_OPTION = re.compile(r"^\s*:[\w\-]+:")


def closing(lines, i, fence):
    """Index of the line closing the fence opened on line i (same character, at least as long)."""
    close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(i + 1, len(lines)):
        if close.match(lines[j]):
            return j
    raise ValueError(f"line {i + 1}: fence {fence!r} is never closed")


def read_bib(path):
    """{key: "Rodin et al. (2025)"} from a BibTeX file (first author's surname and year)."""
    out = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return out
    for m in re.finditer(r"@\w+\{([\w\-:]+),(.*?)\n\}", text, flags=re.S):
        key, body = m.group(1), m.group(2)
        a = re.search(r"author\s*=\s*\{(.*?)\}\s*,?\s*\n", body, flags=re.S)
        y = re.search(r"year\s*=\s*\{?(\d{4})", body)
        if not a:
            continue
        authors = [s.strip() for s in a.group(1).split(" and ")]
        surname = authors[0].split(",")[0].strip() if "," in authors[0] else authors[0].split()[-1]
        etal = " et al." if len(authors) > 2 else (f" and {authors[1].split(',')[0]}"
                                                  if len(authors) == 2 else "")
        out[key] = f"{surname}{etal} ({y.group(1) if y else 'n.d.'})"
    return out


@dataclass
class Numbering:
    """The numbers the online book shows for one chapter (per-chapter numbering)."""
    chapter: int = 0
    equations: dict = field(default_factory=dict)   # label -> "6.2"
    figures: dict = field(default_factory=dict)     # name -> "6.2"
    exercises: dict = field(default_factory=dict)   # label -> "6.2"
    titles: dict = field(default_factory=dict)      # chapter slug -> title
    citations: dict = field(default_factory=dict)   # bib key -> "Rodin et al. (2025)"

    def number(self, n):
        return f"{self.chapter}.{n}" if self.chapter else str(n)

    @classmethod
    def of_chapter(cls, text, chapter=0, titles=None, citations=None, figure_names=()):
        num = cls(chapter, titles=dict(titles or {}), citations=dict(citations or {}))
        lines = text.splitlines()
        for line in lines:
            m = _EQ_LABEL.match(line)
            if m:
                num.equations[m.group(2)] = num.number(len(num.equations) + 1)
        for name in figure_names:
            num.figures[name] = num.number(len(num.figures) + 1)
        i = 0
        while i < len(lines):
            m = _FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            j = closing(lines, i, m.group("fence"))
            if m.group("name") in ("exercise", "exercise-start"):
                label = next((ln.split(":label:")[1].strip() for ln in lines[i + 1:j]
                              if ln.strip().startswith(":label:")), None)
                num.exercises[label or f"line-{i + 1}"] = num.number(len(num.exercises) + 1)
            i = j + 1
        return num


def _role(m, num):
    role, body = m.group("role"), m.group("body")
    text, target = body, body
    t = re.match(r"^(.*?)\s*<([^>]+)>$", body, flags=re.S)
    if t:
        text, target = t.group(1), t.group(2)
    if role == "eq":
        n = num.equations.get(target)
        return f"({n})" if n else f"(equation {target})"
    if role == "numref":
        n = num.figures.get(target) or num.exercises.get(target)
        kind = "Fig." if target in num.figures else "Exercise"
        if t and "%s" in text:
            return text.replace("%s", n or target)
        return f"{kind} {n}" if n else target
    if role.startswith("cite"):
        keys = [k.strip() for k in body.split(",")]
        return "; ".join(num.citations.get(k, k) for k in keys)
    if role in ("ref", "doc"):
        if t:
            return text
        if target in num.exercises:
            return f"Exercise {num.exercises[target]}"
        if target in num.figures:
            return f"Fig. {num.figures[target]}"
        return num.titles.get(target, target.replace("-", " "))
    if role == "math":
        return f"${body}$"
    return text


def plain_markdown(text, num=None):
    """`text` (MyST Markdown) rewritten as plain Markdown with the book's numbers."""
    num = num or Numbering()
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _TARGET.match(line):
            i += 1
            continue
        m = _EQ_LABEL.match(line)
        if m:
            n = num.equations.get(m.group(2))
            out.append(f"{m.group(1)}\\tag{{{n}}}\n{m.group(1)}$$" if n else f"{m.group(1)}$$")
            i += 1
            continue
        f = _FENCE.match(line)
        if f and f.group("name") != "code-cell":
            j = closing(lines, i, f.group("fence"))
            body = [b for b in lines[i + 1:j] if not _OPTION.match(b)]
            name, arg = f.group("name"), f.group("arg").strip()
            inner = plain_markdown("\n".join(body), num)
            if name == "math":
                out += ["$$", inner, "$$"]
            elif name in ("exercise", "exercise-start"):
                out += [f"**Exercise.** {inner}"]
            else:
                title = arg or name.replace("-", " ").capitalize()
                out += ["> **" + plain_markdown(title, num).rstrip(".") + ".**", ">"]
                out += ["> " + b if b.strip() else ">" for b in inner.splitlines()]
            i = j + 1
            continue
        out.append(_ROLE.sub(lambda mm: _role(mm, num), line))
        i += 1
    return "\n".join(out).strip("\n")
