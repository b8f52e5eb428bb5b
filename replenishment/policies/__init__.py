"""Classical replenishment policies (pure numpy; no Django).

Every policy works on a *lead-time demand distribution*: demand summed over the supplier
lead time plus the review period, represented by Monte-Carlo samples (see ``demand.py``),
so the same code serves quantile forecasts, empirical history and parametric demand.
"""
from .validation import check_costs, check_lead_time, check_pack
from .rounding import round_order
from .demand import LeadTimeDemand
from .newsvendor import critical_fractile, newsvendor_quantity
from .base_stock import base_stock_level, base_stock_order
from .s_s import SsPolicy, s_s_levels, s_s_order
from .rq import RQPolicy, eoq, rq_levels, rq_order

__all__ = [
    "check_costs", "check_lead_time", "check_pack", "round_order", "LeadTimeDemand",
    "critical_fractile", "newsvendor_quantity", "base_stock_level", "base_stock_order",
    "SsPolicy", "s_s_levels", "s_s_order", "RQPolicy", "eoq", "rq_levels", "rq_order",
]
