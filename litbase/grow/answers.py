"""One error policy for every answer a source gives: parse it, or say which source failed and how.

Every command that asks NCBI (fetch, search, refresh, import of ID lists and
page text) reads answers through ``read_answer``, so an NCBI error inside an
HTTP 200, a body that is not the XML or JSON it should be, and a record the
parser refuses all become one ``EutilsError`` naming the endpoint. The command
line turns that into one line and a non-zero exit; nothing of the unreadable
answer is stored, so a rerun asks again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from lxml import etree

from litbase.parse.eutils import EutilsReplyError
from litbase.parse.pubmed import PubmedParseError
from litbase.sources.eutils import EutilsError, EutilsResponseError

Parsed = TypeVar("Parsed")

# The key and the e-mail go to NCBI and nowhere else. requests quotes the whole URL of a failed
# GET in its errors, so an error's text is masked before it is stored or shown.
IDENTITY = ("api_key", "email")
# A value runs to the next parameter, space or quote, and does not take the sentence's full stop.
_IDENTITY_IN_TEXT = re.compile(r"\b((?:api_key|email)=)[^&\s'\"]*[^&\s'\".,;)]")
KINDS = {"efetch": "PubMed XML", "elink": "eLink XML", "esearch": "ESearch XML",
         "idconv": "ID converter JSON"}


def read_answer(endpoint: str, parse: Callable[[bytes], Parsed], payload: bytes) -> Parsed:
    """``parse(payload)``; an error NCBI wrote inside the answer or an unreadable body raises EutilsError."""
    try:
        return parse(payload)
    except EutilsReplyError as error:
        raise EutilsResponseError(endpoint, error.message) from None
    except (etree.XMLSyntaxError, PubmedParseError, ValueError) as error:
        kind = KINDS.get(endpoint, "answer")
        raise EutilsError(endpoint, f"the answer is not readable {kind}: {error}") from None


def without_identity(text: str) -> str:
    """The text with any api_key= or email= value masked."""
    return _IDENTITY_IN_TEXT.sub(r"\1***", text)
