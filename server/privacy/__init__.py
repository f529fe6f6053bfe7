"""Personal data shown with care: phone numbers masked by default, revealed with a reason."""
