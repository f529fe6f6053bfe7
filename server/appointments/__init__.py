"""Appointments (预约服务): a customer's request, turned into a planned visit or a work order."""
