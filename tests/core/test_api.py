"""The one API error body (core.api) is what the DRF handler renders for domain refusals."""

import pytest
from rest_framework.test import APIRequestFactory

from core.api import error_body, exception_handler
from core.errors import ApplicationError, ErrorCode


class SampleErrorCode(ErrorCode):
    REFUSED = "refused"


def test_error_body_shape():
    assert error_body(code="sold_out", message="Sold out.", product=12) == {
        "error": {"code": "sold_out", "message": "Sold out.", "product": 12}
    }
    assert error_body(code="invalid", message="quantity: too big", fields={"quantity": ["too big"]}) == {
        "error": {"code": "invalid", "message": "quantity: too big", "fields": {"quantity": ["too big"]}}
    }


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_the_handler_renders_an_application_error_with_the_body(status):
    request = APIRequestFactory().get("/api/v1/anything/")
    error = ApplicationError("No.", status=status, code=SampleErrorCode.REFUSED, extra={"product": 3})
    response = exception_handler(error, {"request": request})
    assert response.status_code == status
    assert response.data == error_body(code="refused", message="No.", product=3)
