"""The objective builder: builds from an objective and sample pages to a confirmed config package
(``builds``), the build executor that analyses samples in a worker (``build_runner``), and the
knowledge base of confirmed packages (``knowledge``)."""
