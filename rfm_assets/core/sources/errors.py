"""The one exception the source readers raise: it names the file, the column, the problem and samples."""

from __future__ import annotations


class SourceError(Exception):
    """A source file that cannot be staged as it is.

    Attributes:
        file: the file (name, or ``name[sheet]`` for a workbook sheet; the path when no file is involved).
        column: the source column concerned, or None when the problem is not about one column.
        problem: what is wrong, in one or two sentences, with a hint at the fix where there is one.
        samples: up to 5 offending values with their row numbers (``"row 7: '13/1/2011'"``), or the
            file's actual columns, or the offending lines; empty when there is nothing to show.
    """

    def __init__(self, file: object, problem: str, column: str | None = None, samples: list[str] | None = None):
        self.file = str(file) if file is not None else None
        self.column = column
        self.problem = problem
        self.samples = list(samples or [])
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"cannot stage source file {self.file!r}" if self.file else "cannot stage the source"]
        if self.column is not None:
            lines.append(f"  column: {self.column!r}")
        lines.append(f"  problem: {self.problem}")
        if self.samples:
            lines.append("  samples:")
            lines.extend(f"    {sample}" for sample in self.samples)
        return "\n".join(lines)

    def __reduce__(self) -> tuple:  # keep the attributes through pickling (multiprocess executors)
        return (_rebuild, (self.file, self.problem, self.column, self.samples))


def _rebuild(file: str | None, problem: str, column: str | None, samples: list[str]) -> SourceError:
    return SourceError(file, problem, column, samples)


def unique_column_names(header: list[str | None] | list[str]) -> list[str]:
    """Header names as DuckDB and polars need them: blanks named ``column<i>`` (1-based), repeats
    suffixed ``_2``, ``_3``, ... in order of appearance, so no source column is silently dropped."""
    names: list[str] = []
    for i, name in enumerate(header, start=1):
        name = name or f"column{i}"
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}_{n}"
        names.append(unique)
    return names
