package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ApacheLogParserTest {

  @Test
  void parsesEveryFieldOfACombinedLine() throws Exception {
    Object[] row = ApacheLogParser.parse("83.149.9.216 - - [17/May/2015:10:05:03 +0000] "
        + "\"GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1\" 200 203023 "
        + "\"http://semicomplete.com/presentations/logstash-monitorama-2013/\" "
        + "\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36\"");

    assertThat(row).containsExactly(
        Instant.parse("2015-05-17T10:05:03Z"),
        "83.149.9.216",
        "GET",
        "/presentations/logstash-monitorama-2013/images/kibana-search.png",
        "HTTP/1.1",
        200,
        203023L,
        "http://semicomplete.com/presentations/logstash-monitorama-2013/",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36");
    assertThat(row).hasSize(ApacheLogParser.SCHEMA.size());
  }

  @Test
  void convertsTheTimeZoneOffsetToUtc() throws Exception {
    Object[] row = ApacheLogParser.parse("1.2.3.4 - bob [17/May/2015:10:05:03 +0200] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"");

    assertThat(row[0]).isEqualTo(Instant.parse("2015-05-17T08:05:03Z"));
  }

  @Test
  void turnsDashesIntoNullsForBytesReferrerAndUserAgent() throws Exception {
    Object[] row = ApacheLogParser.parse("10.0.0.1 - - [18/May/2015:00:00:01 +0000] \"HEAD /x HTTP/1.1\" 304 - \"-\" \"-\"");

    assertThat(row[6]).isNull();
    assertThat(row[7]).isNull();
    assertThat(row[8]).isNull();
    assertThat(row[5]).isEqualTo(304);
  }

  @Test
  void acceptsTheCommonFormatWithoutReferrerAndUserAgent() throws Exception {
    Object[] row = ApacheLogParser.parse("10.0.0.1 - - [18/May/2015:00:00:01 +0000] \"GET /a HTTP/1.1\" 200 12");

    assertThat(row[6]).isEqualTo(12L);
    assertThat(row[7]).isNull();
    assertThat(row[8]).isNull();
  }

  @Test
  void unescapesQuotesInsideQuotedFields() throws Exception {
    Object[] row = ApacheLogParser.parse(
        "10.0.0.1 - - [18/May/2015:00:00:01 +0000] \"GET /a HTTP/1.1\" 200 12 \"-\" \"agent \\\"quoted\\\" \\\\ end\"");

    assertThat(row[8]).isEqualTo("agent \"quoted\" \\ end");
  }

  @Test
  void givesNullRequestPartsForADashRequest() throws Exception {
    Object[] row = ApacheLogParser.parse("10.0.0.1 - - [18/May/2015:00:00:01 +0000] \"-\" 408 - \"-\" \"-\"");

    assertThat(row[2]).isNull();
    assertThat(row[3]).isNull();
    assertThat(row[4]).isNull();
    assertThat(row[5]).isEqualTo(408);
  }

  @Test
  void rejectsATruncatedUserAgentNamingTheField() {
    // Line 8,899 of the real apache_logs ends like this: the last quote is missing.
    String line = "46.118.127.106 - - [20/May/2015:12:05:17 +0000] \"GET /scripts/grok-py-test/configlib.py HTTP/1.1\" "
        + "200 235 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html";

    assertThatThrownBy(() -> ApacheLogParser.parse(line))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageContaining("closing quote of the user agent");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''| empty line",
      "1.2.3.4 - - 17/May/2015:10:05:03 +0000 \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"| expected '[' before the time",
      "1.2.3.4 - - [17/Mai/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"| time '17/Mai/2015:10:05:03 +0000'",
      "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 2000 1 \"-\" \"-\"| status '2000'",
      "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 -5 \"-\" \"-\"| bytes '-5'",
      "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" trailing| unexpected text after the user agent",
      "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"\\x16\\x03\\x01 junk here too\" 400 1 \"-\" \"-\"| is not 'METHOD PATH PROTOCOL'",
      "1.2.3.4 -| line ends before the user",
  })
  void rejectsMalformedLinesWithTheReason(String line, String reason) {
    assertThatThrownBy(() -> ApacheLogParser.parse(line))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageContaining(reason.strip());
  }
}
