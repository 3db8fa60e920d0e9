"""core.signals: domain signals go out after commit, robustly, with their documented arguments."""

import logging

import pytest
from django.db import transaction

from core.signals import DomainSignal, send_on_commit

pytestmark = pytest.mark.django_db

thing_done = DomainSignal("thing_done", ["thing_id"])


@pytest.fixture
def heard():
    calls = []
    thing_done.connect(lambda sender, **kwargs: calls.append(kwargs["thing_id"]), weak=False, dispatch_uid="heard")
    yield calls
    thing_done.disconnect(dispatch_uid="heard")


@pytest.fixture
def failing():
    def explode(sender, **kwargs):
        raise RuntimeError("receiver bug")

    thing_done.connect(explode, dispatch_uid="failing")
    yield explode
    thing_done.disconnect(dispatch_uid="failing")


def test_sent_after_commit_and_never_on_rollback(heard, django_capture_on_commit_callbacks):
    # given a transaction that sends and one that sends then rolls back
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            send_on_commit(thing_done, sender=None, thing_id=1)
            assert heard == []  # not before the commit
        with pytest.raises(RuntimeError), transaction.atomic():
            send_on_commit(thing_done, sender=None, thing_id=2)
            raise RuntimeError("rolled back")

    # then only the committed one was heard
    assert heard == [1]


def test_a_raising_receiver_is_logged_and_the_others_still_hear(
    failing, heard, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="core.signals"), django_capture_on_commit_callbacks(execute=True):
        send_on_commit(thing_done, sender=None, thing_id=7)

    assert heard == [7]
    [record] = caplog.records
    message = record.getMessage()
    assert "explode" in message and "thing_done" in message and "thing_id=7" in message
    assert record.exc_info[0] is RuntimeError  # the traceback is in the log


def test_arguments_other_than_the_documented_ones_are_refused():
    with pytest.raises(TypeError, match="thing_id"):
        send_on_commit(thing_done, sender=None, thing=1)
    with pytest.raises(TypeError):
        send_on_commit(thing_done, sender=None, thing_id=1, extra=2)
