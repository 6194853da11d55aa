"""The chat client against a real OpenAI-compatible server on 127.0.0.1: answers, retries,
errors a user can read, and answers that are not what the API promises."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from core.platform.errors import ScrapeDeckError
from core.llm.client import ChatClient, ProviderConfig
from core.scrape.result import retry_after_seconds
from core.llm.errors import ModelAnswerInvalid, ModelRefused, ModelUnavailable
from tests.fixtures.openai_server import OpenAIServer, Reply
from tests.llm.conftest import API_KEY

HELLO = [{"role": "user", "content": "Say hello as JSON"}]


def test_an_answer_gives_the_content_and_the_tokens_used(client, openai) -> None:
    openai.script(Reply.json({"hello": "world"}, prompt_tokens=42, completion_tokens=7))
    answer = client.complete(HELLO)
    assert answer.content == '{"hello": "world"}'
    assert (answer.usage.provider, answer.usage.model) == ("Test AI", "gpt-4o-mini")
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (42, 7)
    assert answer.finish_reason == "stop"


def test_the_request_is_an_openai_chat_completion_asking_for_json(client, openai) -> None:
    client.complete(HELLO, max_tokens=20)
    headers, body = openai.requests[0]
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert body == {"model": "gpt-4o-mini", "messages": HELLO, "temperature": 0.0,
                    "response_format": {"type": "json_object"}, "max_tokens": 20}


def test_a_provider_without_a_key_gets_no_authorization_header(config, waits) -> None:
    with OpenAIServer(api_key=None) as local:
        keyless = ProviderConfig("Local", local.base_url, "llama3", api_key=None, timeout=5)
        with ChatClient(keyless, sleep=waits) as chat:
            chat.complete(HELLO, json_object=False)
        headers, body = local.requests[0]
    assert "Authorization" not in headers and "response_format" not in body


def test_a_wrong_key_is_refused_without_showing_the_key(openai, waits) -> None:
    wrong = "sk-wrong-key-9876543210abcdef"
    config = ProviderConfig("Test AI", openai.base_url, "gpt-4o-mini", api_key=wrong, timeout=5)
    with ChatClient(config, sleep=waits) as chat, pytest.raises(ModelRefused) as refused:
        chat.complete(HELLO)
    message = str(refused.value)
    assert message.startswith("The model provider refused the API key (HTTP 401): Incorrect API")
    assert "Check the key on the Model provider page." in message
    assert wrong not in message and "***" in message  # the server echoed it; we masked it
    assert refused.value.status_code == 401 and waits == []  # a refusal is not retried


def test_the_key_stays_out_of_the_configs_repr(config) -> None:
    assert API_KEY not in repr(config) and "gpt-4o-mini" in repr(config)


def test_429_waits_what_retry_after_asks_then_succeeds(client, openai, waits) -> None:
    openai.script(Reply.status(429, "Rate limit reached", headers={"Retry-After": "2"}))
    assert client.complete(HELLO).content == '{"ok": true}'
    assert waits == [2.0] and len(openai.requests) == 2


def test_retry_after_is_capped_and_429_gives_up_after_the_retries(client, openai, waits) -> None:
    limited = Reply.status(429, "Rate limit reached", headers={"Retry-After": "120"})
    openai.script(limited, limited, limited)
    with pytest.raises(ModelUnavailable, match=r"rate limiting requests \(HTTP 429\) after 3 "
                                               r"attempts: Rate limit reached\. Wait a minute"):
        client.complete(HELLO)
    assert waits == [5.0, 5.0]  # max_wait, not the two minutes asked


def test_server_errors_are_retried_with_doubling_waits(client, openai, waits) -> None:
    openai.script(Reply.status(500, "boom"), Reply.status(503, "overloaded"))
    assert client.complete(HELLO).content == '{"ok": true}'
    assert waits == [1.0, 2.0]


def test_a_server_that_keeps_failing_is_unavailable(client, openai) -> None:
    openai.script(*[Reply.status(500, "The server had an error")] * 3)
    with pytest.raises(ModelUnavailable, match=r"failed \(HTTP 500\) 3 times: The server had an "
                                               r"error\. Try again later\."):
        client.complete(HELLO)


def test_a_timeout_is_reported_and_not_retried(openai, config, waits) -> None:
    openai.script(Reply.slow(3))
    with ChatClient(config, timeout=0.3, sleep=waits) as chat:
        with pytest.raises(ModelUnavailable, match=r"did not answer within 0\.3 s"):
            chat.complete(HELLO)
    assert waits == [] and len(openai.requests) == 1


def test_nobody_listening_is_unavailable_after_the_retries(waits, loopback_allowed) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ProviderConfig("Gone", f"http://127.0.0.1:{port}/v1", "m", api_key=API_KEY)
    with ChatClient(config, max_retries=2, sleep=waits) as chat:
        with pytest.raises(ModelUnavailable, match=rf"Cannot reach the model provider at "
                                                   rf"http://127.0.0.1:{port}/v1 .*3 attempts"):
            chat.complete(HELLO)
    assert waits == [1.0, 2.0]


def test_a_base_url_without_v1_gets_a_hint(openai, waits) -> None:
    config = ProviderConfig("Test AI", openai.base_url.removesuffix("/v1"), "gpt-4o-mini",
                            api_key=API_KEY)
    with ChatClient(config, sleep=waits) as chat, pytest.raises(ModelRefused) as refused:
        chat.complete(HELLO)
    assert "(HTTP 404)" in str(refused.value) and "usually ends in /v1" in str(refused.value)


def test_a_non_json_body_is_an_invalid_answer(client, openai) -> None:
    openai.script(Reply.raw("<html><body>Welcome to nginx!</body></html>"))
    with pytest.raises(ModelAnswerInvalid, match=r"not JSON \(HTTP 200, text/html\): "
                                                 r"'<html><body>Welcome to nginx!"):
        client.complete(HELLO)


def test_json_without_choices_is_an_invalid_answer_that_keeps_the_usage(client, openai) -> None:
    openai.script(Reply.raw('{"object": "list", "usage": {"prompt_tokens": 9, '
                            '"completion_tokens": 0}}', content_type="application/json"))
    with pytest.raises(ModelAnswerInvalid, match="has no choices") as invalid:
        client.complete(HELLO)
    assert invalid.value.usage.input_tokens == 9


def test_a_choice_without_text_is_an_invalid_answer(client, openai) -> None:
    openai.script(Reply.raw('{"choices": [{"message": {"role": "assistant", "content": null}}]}',
                            content_type="application/json"))
    with pytest.raises(ModelAnswerInvalid, match="no text content"):
        client.complete(HELLO)


def test_missing_usage_counts_zero_tokens(client, openai) -> None:
    openai.script(Reply.raw('{"choices": [{"message": {"content": "{}"}}]}',
                            content_type="application/json"))
    usage = client.complete(HELLO).usage
    assert (usage.input_tokens, usage.output_tokens) == (0, 0)


def test_model_errors_are_scrapedeck_errors(client, openai) -> None:
    openai.script(Reply.status(400, "Invalid 'messages'"))
    with pytest.raises(ScrapeDeckError, match=r"rejected the request \(HTTP 400\): Invalid"):
        client.complete(HELLO)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 30
