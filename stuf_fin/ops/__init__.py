"""Operations: structured logging (``logging``), one record per answered message (``observe``), Prometheus
metrics (``metrics``, ``collectors``, ``httpmetrics``), ``stuf-fin config check`` and ``stuf-fin health``
(``cli``, ``configcheck``).  Deployment and the meaning of every metric: docs/operator.md."""
