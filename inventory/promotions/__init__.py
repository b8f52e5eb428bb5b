"""Promotions as the shop plans them, one owner: the model (`models`), saving one (`services`),
which promotions count and where (`selectors`: a cancelled one never does), the REST endpoints
(`api`) and the admin page (`admin`). Part of the inventory app because forecasting reads planned
promotions as known future covariates and sits above it. Planning them (uplift, what to
promote, what a promotion did) is `insights.promotions`; the staff pages are `staff/promotions.py`.
"""
