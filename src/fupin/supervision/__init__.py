"""Listed supervision (挂牌督战) and the problem rectification ledger (问题整改台账)."""
