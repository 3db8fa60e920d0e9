"""English date formats (Django's defaults for the rest): "Dec 12", "Dec 12, 14:00"."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "D, M j, Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "M j, H:i"
MONTH_DAY_FORMAT = "M j"
TIME_FORMAT = "H:i"
