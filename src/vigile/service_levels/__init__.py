"""Service levels: business-hours calendars, deadlines and breaches. Pure compute."""
