"""The PMC ID converter's JSON answer, read without I/O: what resolves, what is refused."""

import json

import pytest

from litbase.parse.idconv import IdconvParseError, parse_idconv


def answer(**doc) -> bytes:
    return json.dumps(doc).encode()


def test_resolved_records_by_requested_id():
    payload = answer(status="ok", records=[
        {"requested-id": "PMC8963728", "pmcid": "PMC8963728", "pmid": "35392492", "doi": "10.1002/aet2.10728"},
        {"requested-id": "10.1002/AET2.10728", "pmid": "35392492"},
        {"requested-id": "PMC1", "status": "error", "errmsg": "invalid article id"},
        {"requested-id": "PMC2", "pmcid": "PMC2"},  # in PMC, no PubMed record
        "not a record",
    ])
    assert parse_idconv(payload) == {"PMC8963728": 35392492, "10.1002/aet2.10728": 35392492}


@pytest.mark.parametrize("payload, message", [
    (b'{"status": "error", "message": "invalid idtype"}', "idconv: invalid idtype"),
    (b"<html>Maintenance</html>", "idconv: the answer is not JSON (Expecting value: line 1 column 1 (char 0))"),
    (b'["PMC1"]', "idconv: the answer is not a JSON object with a records list"),
    (b'{"status": "ok", "records": "PMC1"}', "idconv: the answer is not a JSON object with a records list"),
])
def test_an_unreadable_answer_is_refused_with_a_reason(payload, message):
    with pytest.raises(IdconvParseError) as refused:
        parse_idconv(payload)
    assert str(refused.value) == message
