"""Care calendar (客户关怀): week-ahead items, done marks, public holidays."""
