"""简体中文 date formats as Chinese shops write them: "12月12日", "12月12日 14:00" (Django's own
zh_Hans formats pad the month: "01月05日")."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 D H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
MONTH_DAY_FORMAT = "n月j日"
TIME_FORMAT = "H:i"
