"""Account managers' customer visits (客户拜访)."""
