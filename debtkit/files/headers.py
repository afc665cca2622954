"""Which CSV headers debtkit does not know, and which ``--column`` mapping would fix them.

A file exported from an accounting tool names columns its own way ("Invoice No",
"Montant"). Instead of one ``unknown_field`` problem per cell, the header gets one problem
listing its unknown columns with the ``--column HEADER=PATH`` flags to pass, suggesting the
closest known field: first by common synonyms (English, French, German), then by
`difflib.get_close_matches` on normalised names (case, spaces, underscores, dots and dashes
ignored), over both the dotted path and its last part. The line names at most `SHOWN`
columns, each cut to `NAME_LIMIT` characters.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from debtkit.errors import Problem

__all__ = ["NAME_LIMIT", "SHOWN", "is_known", "suggest", "unknown_columns_problem"]

SHOWN = 20  # unknown columns named in the one line; a hostile header may have thousands
NAME_LIMIT = 60  # characters of a header shown

_SYNONYMS = {
    "invoice no": "invoice_reference", "invoice number": "invoice_reference",
    "invoice": "invoice_reference", "invoice ref": "invoice_reference",
    "facture": "invoice_reference", "numero facture": "invoice_reference",
    "rechnungsnummer": "invoice_reference", "rechnung": "invoice_reference",
    "reference": "creditor_reference", "ref": "creditor_reference", "id": "creditor_reference",
    "customer": "debtor.name", "client": "debtor.name", "kunde": "debtor.name",
    "name": "debtor.name", "full name": "debtor.name", "nom": "debtor.last_name",
    "prenom": "debtor.first_name", "vorname": "debtor.first_name",
    "nachname": "debtor.last_name", "first name": "debtor.first_name",
    "last name": "debtor.last_name", "surname": "debtor.last_name",
    "company": "debtor.company_name", "societe": "debtor.company_name",
    "firma": "debtor.company_name",
    "amount": "amount", "montant": "amount", "betrag": "amount", "total": "amount",
    "sum": "amount", "balance": "amount", "amount due": "amount",
    "email": "debtor.email", "e mail": "debtor.email", "mail": "debtor.email",
    "courriel": "debtor.email",
    "phone": "debtor.phone", "tel": "debtor.phone", "telephone": "debtor.phone",
    "mobile": "debtor.phone", "telefon": "debtor.phone",
    "due date": "due_date", "due": "due_date", "echeance": "due_date",
    "faelligkeit": "due_date", "invoice date": "invoice_date", "date": "invoice_date",
    "country": "debtor.address.country", "pays": "debtor.address.country",
    "land": "debtor.address.country", "city": "debtor.address.city",
    "ville": "debtor.address.city", "stadt": "debtor.address.city",
    "zip": "debtor.address.postal_code", "postcode": "debtor.address.postal_code",
    "postal code": "debtor.address.postal_code", "code postal": "debtor.address.postal_code",
    "plz": "debtor.address.postal_code", "street": "debtor.address.street",
    "address": "debtor.address.full", "adresse": "debtor.address.full",
    "currency": "currency", "devise": "currency", "wahrung": "currency",
    "wahrungscode": "currency",
}  # fmt: skip
_ACCENTS = str.maketrans("éèêëàâäîïôöûüç", "eeeeaaaiioouuc")


def _normal(name: str) -> str:
    folded = name.casefold().translate(_ACCENTS).replace("ß", "ss")
    return " ".join(re.sub(r"[\s_.\-/#:°]+", " ", folded).split()).removesuffix(" no.")


def is_known(name: str, known: Iterable[str]) -> bool:
    return name in set(known) or name.startswith("metadata.")


def suggest(header: str, known: Iterable[str]) -> str | None:
    """The known path closest to `header`, or None."""
    known = list(known)
    normal = _normal(header)
    if normal in _SYNONYMS and _SYNONYMS[normal] in known:
        return _SYNONYMS[normal]
    forms: dict[str, str] = {}
    for path in known:
        forms.setdefault(_normal(path), path)
        forms.setdefault(_normal(path.rsplit(".", 1)[-1]), path)
    for synonym, path in _SYNONYMS.items():
        if path in known:
            forms.setdefault(synonym, path)
    close = difflib.get_close_matches(normal, list(forms), n=1, cutoff=0.75)
    return forms[close[0]] if close else None


def unknown_columns_problem(
    unknown: list[str], known: Iterable[str], present: Iterable[str] = ()
) -> Problem:
    """One problem for the whole header: the unknown columns and the mapping to pass.
    `present` are the header's known columns: an invoice number is suggested as the
    creditor reference (required, unique per debt) when no column holds that already."""
    known, present = list(known), set(present)
    flags = []
    more = len(unknown) - SHOWN
    unknown = [h if len(h) <= NAME_LIMIT else h[: NAME_LIMIT - 3] + "..." for h in unknown[:SHOWN]]
    for header in unknown:
        target = suggest(header, known) or "<field>"
        if target == "invoice_reference" and "creditor_reference" not in present:
            target = "creditor_reference"
            present.add(target)
        flags.append(f'--column "{header}={target}"')
    listed = ", ".join(repr(h) for h in unknown) + (f" and {more} more" if more > 0 else "")
    message = f"unknown columns {listed}; map them to model fields: {' '.join(flags)}"
    delimiters = sorted({d for h in unknown for d in ";\t|," if d in h})
    if delimiters:
        shown = ", ".join(repr(d) for d in delimiters)
        message += f" (or pass --delimiter: the header holds {shown})"
    return Problem("", "unknown_column", message + "; rows with them are not read")
