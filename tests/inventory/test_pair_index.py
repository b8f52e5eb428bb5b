"""PairIndex: the row of every (product, warehouse) of a column, -1 for what is not a pair."""
import numpy as np

from inventory.pair_index import PairIndex


def test_rows_of_known_and_unknown_pairs():
    pairs = [(7, 2), (3, 1), (3, 2), (10, 1)]
    index = PairIndex(pairs)
    products = np.array([3, 10, 7, 3, 3, 99, 2, 3])
    warehouses = np.array([2, 1, 2, 1, 3, 1, 7, -1])  # (3, 3) and (2, 7) are no pairs; -1 is no id
    assert index.rows(products, warehouses).tolist() == [2, 3, 0, 1, -1, -1, -1, -1]


def test_a_warehouse_id_beyond_the_pairs_never_aliases_another_pair():
    # key = product * span + warehouse: (1, 3) would be (2, 0)'s key with span 3; it must not match.
    index = PairIndex([(2, 0), (1, 2)])
    assert index.rows([1, 2, 1], [3, 0, 2]).tolist() == [-1, 0, 1]


def test_no_pairs_and_no_rows():
    assert PairIndex([]).rows([1, 2], [1, 1]).tolist() == [-1, -1]
    assert PairIndex([(1, 1)]).rows([], []).tolist() == []
