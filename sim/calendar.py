"""Calendar constants shared by the model and the statistics that read its tables."""

DAYS_PER_MONTH = 30.44  # mean Gregorian month (365.2425 / 12), used to turn daily counts into monthly rates
