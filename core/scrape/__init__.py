"""The scraping engine: pure functions and async classes, no database access.

    urls        which target URLs may be fetched (scheme, host, no private addresses)
    package     the config package: the versioned JSON that says how to extract
    dom         one interface over selectolax (CSS, fast) and lxml (XPath)
    transforms  value transforms a package field applies (strip, price, date…)
    availability  schema.org availability names from URLs and shop texts ("Auf Lager" → InStock)
    jsonld      values from a page's JSON-LD by path ("Product.offers.price")
    extract     run a package over a page: records, confidence, content hash
    robots      robots.txt per origin, cached
    fetch       the polite, bounded, retrying HTTP fetcher
    render      JavaScript pages in one headless Chromium
    paginate    which page comes next
    options     FetchOptions: the knobs a job sets
    result      FetchResult: what fetching or rendering one URL gave

The worker composes these: fetch (or render) a page, extract records, validate them, store them,
ask the paginator for the next page.
"""
