"""Gauges shared by the benchmark's report scripts (report.py, interleave.py)."""


def number(x):
    """A CSV field as a float; None when empty or not a number."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def refused_share(tx_pps, refused_pps):
    """Of the frames the generator tried to send, the share the device's ring
    refused: near 0, the device took all the generator made and its rate is
    the generator's; well above, the device set the rate. None when unknown."""
    tx, ref = number(tx_pps), number(refused_pps)
    if tx is None or ref is None or tx + ref <= 0:
        return None
    return ref / (tx + ref)
