"""The logical structure of a PDF/A level-a document (Tagged PDF).

Document ▸ one H1 or P element per OCR paragraph, in the layout's reading order, each with the
paragraph's text as ActualText and a marked-content reference to its sequence in the page's text
layer (a form XObject, hence /Stm and the form's own /StructParents). The page's visible content
(the scan) is marked as an artifact. The catalog gets MarkInfo Marked true and the language.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ocrmill.domain.document import Box, Paragraph
from ocrmill.domain.layout import PageLayout, TextBlock
from ocrmill.writers.textlayer import Marked


class StructureTree:
    def __init__(self, pdf: pikepdf.Pdf, *, lang: str) -> None:
        self.pdf = pdf
        self.lang = lang
        self.root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.Document, P=self.root, K=Array(), Lang=String(lang))
        )
        self.root.K = Array([self.document])
        self.parents: list[pikepdf.Object] = []  # parent tree: StructParents index -> elements by MCID

    def add_page(self, page: pikepdf.Page, form: pikepdf.Stream, marked: list[Marked], layout: PageLayout) -> None:
        """Claim the page's marked text sequences and mark its other content as an artifact."""
        page.contents_add(b"/Artifact BMC\n", prepend=True)
        page.contents_add(b"\nEMC\n")
        if Name.StructParents in page.obj:
            del page.obj[Name.StructParents]  # a PDF input's own tags refer to a tree we do not copy
        by_mcid: list[tuple[int, pikepdf.Object]] = []
        for item in sorted(marked, key=lambda m: _reading_position(m.paragraph, layout)):
            role = Name.H1 if _is_heading(item.paragraph, layout) else Name.P
            reference = Dictionary(Type=Name.MCR, Pg=page.obj, Stm=form, MCID=item.mcid)
            element = self.pdf.make_indirect(
                Dictionary(
                    Type=Name.StructElem, S=role, P=self.document, Pg=page.obj, K=reference,
                    ActualText=String(item.text),
                )
            )  # fmt: skip
            self.document.K.append(element)
            by_mcid.append((item.mcid, element))
        form.StructParents = len(self.parents)
        by_mcid.sort(key=lambda pair: pair[0])
        self.parents.append(self.pdf.make_indirect(Array([element for _, element in by_mcid])))

    def finish(self) -> None:
        nums = Array()
        for index, elements in enumerate(self.parents):
            nums.append(index)
            nums.append(elements)
        self.root.ParentTree = self.pdf.make_indirect(Dictionary(Nums=nums))
        self.root.ParentTreeNextKey = len(self.parents)
        self.pdf.Root.StructTreeRoot = self.root
        self.pdf.Root.MarkInfo = Dictionary(Marked=True)
        self.pdf.Root.Lang = String(self.lang)


def _center_in(box: Box, outer: Box) -> bool:
    x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    return outer.left <= x <= outer.right and outer.top <= y <= outer.bottom


def _reading_position(paragraph: Paragraph, layout: PageLayout) -> int:
    """The index of the layout item holding the paragraph (the layout knows columns and tables)."""
    for index, item in enumerate(layout.items):
        if _center_in(paragraph.box, item.box):
            return index
    return len(layout.items)


def _is_heading(paragraph: Paragraph, layout: PageLayout) -> bool:
    return any(
        isinstance(item, TextBlock) and item.role == "heading" and _center_in(paragraph.box, item.box)
        for item in layout.items
    )
