"""Celery tasks for catalogue."""

from celery import shared_task

from marketplace.services import images

__all__ = ["generate_product_image_sizes"]


@shared_task
def generate_product_image_sizes(image_id: int) -> bool:
    """Make the 320/960 px WebP display sizes of one product image (idempotent)."""
    return images.product_image_generate_sizes(image_id=image_id)
