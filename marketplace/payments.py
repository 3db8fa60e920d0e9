"""Payment backends: how an order is charged. ``settings.PAYMENT_BACKEND`` names the class.

Jishi ships only :class:`SimulatedPaymentBackend` — a **simulated** backend for demos and tests
that moves no money. A real provider (Alipay, WeChat Pay, Stripe ...) implements the same two
methods; ``order_pay`` in ``marketplace.services.orders`` charges, and refunds a charge that
lost a race with expiry; ``marketplace.services.refunds`` refunds granted refunds and returns.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentResult:
    ok: bool
    reference: str = ""
    message: str = ""


class PaymentBackend:
    """The interface. ``charge`` is called *outside* any database transaction (it may talk to a
    remote service); when the order can no longer be marked paid afterwards (it expired in the
    meantime) the service calls ``refund`` with the charge's reference. Granted refunds and returns
    call ``refund`` too (inside the deciding transaction: a refusal leaves the request open);
    the result's ``reference`` is the refund's own record."""

    #: Shown on the pay button and the order page.
    label = _("Payment")
    #: True for a backend that moves no money (pages say so).
    simulated = False

    def charge(self, *, order_id: int, amount: Decimal, currency: str, buyer_id: int) -> PaymentResult:
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> PaymentResult:
        raise NotImplementedError


class SimulatedPaymentBackend(PaymentBackend):
    """SIMULATED payments for the demo and tests: every charge succeeds at once and no money
    moves. Never use it where real goods are sold."""

    label = _("Simulated payment (demo)")
    simulated = True

    def charge(self, *, order_id: int, amount: Decimal, currency: str, buyer_id: int) -> PaymentResult:
        return PaymentResult(ok=True, reference=f"SIM-{order_id}-{uuid.uuid4().hex[:12]}")

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> PaymentResult:
        """Record the (simulated) refund of ``amount`` against the charge ``reference``: the answer
        carries the refund's own reference (``SIM-REFUND-…``), which the caller keeps with the
        refund; a log line records it too."""
        refund_reference = f"SIM-REFUND-{uuid.uuid4().hex[:12]}"
        logger.info("Simulated refund %s of %s %s against %s", refund_reference, amount, currency, reference)
        return PaymentResult(ok=True, reference=refund_reference)


def get_payment_backend() -> PaymentBackend:
    """An instance of the backend named by ``settings.PAYMENT_BACKEND``."""
    return import_string(settings.PAYMENT_BACKEND)()
