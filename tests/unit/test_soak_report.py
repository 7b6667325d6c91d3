"""The soak's verdict on memory: flat after the first minute, or a failed run."""

from scripts.soak import SoakReport, format_report

MB = 1024


def report_with(samples, elapsed_s):
    report = SoakReport(conversations=200, duration_s=elapsed_s, elapsed_s=elapsed_s, turns=500)
    report.rss_samples = [(t, kb * MB) for t, kb in samples]
    return report


def test_memory_that_stays_near_its_first_minute_peak_passes():
    report = report_with([(0, 560), (30, 570), (60, 575), (120, 578), (300, 580)], 300)
    assert report.memory_flat is True
    assert report.ok
    assert "memory after the first minute: flat" in format_report(report)


def test_memory_that_keeps_growing_after_the_first_minute_fails_the_soak():
    report = report_with([(0, 560), (60, 570), (120, 585), (300, 640)], 300)
    assert report.memory_flat is False
    assert not report.ok
    assert "GREW" in format_report(report)
    assert "FAILED" in format_report(report)


def test_a_one_minute_run_does_not_pretend_to_judge_memory():
    report = report_with([(0, 560), (30, 600), (60, 640)], 61)
    assert report.memory_flat is None
    assert report.ok, "errors and crisis replies decide a short run"
    assert "use --duration 300" in format_report(report)
