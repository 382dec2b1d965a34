package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EarthquakeCsvParserTest {
  private static final String HEADER =
      "DateTime,Latitude,Longitude,Depth,Magnitude,MagType,NbStations,Gap,Distance,RMS,Source,EventID";

  @Test
  void parsesARowIntoTheLowerCasedNetworkTenant() throws Exception {
    EarthquakeCsvParser parser = EarthquakeCsvParser.forHeader(HEADER);

    EarthquakeCsvParser.Event e = parser.parse("2016/01/01 00:30:58.02,37.4485,-115.9455,12.31,1.27,ML,26,150,28,0.20,NN,524900");

    assertThat(e.tenant()).isEqualTo("nn");
    assertThat(e.values()).containsExactly(Instant.parse("2016-01-01T00:30:58.020Z"), 37.4485, -115.9455, 12.31, 1.27,
        "ML", 26, 150.0, 28.0, 0.20, "NN", "524900");
    assertThat(e.values()).hasSize(EarthquakeCsvParser.SCHEMA.size());
  }

  @Test
  void turnsEmptyOptionalFieldsIntoNulls() throws Exception {
    EarthquakeCsvParser parser = EarthquakeCsvParser.forHeader(HEADER);

    EarthquakeCsvParser.Event e = parser.parse("2016/01/01 00:30:04.91,18.0772,-67.1027,19.91,2.80,Md,,125,,0.44,pr,");

    assertThat(e.tenant()).isEqualTo("pr");
    assertThat(e.values()[6]).isNull();
    assertThat(e.values()[8]).isNull();
    assertThat(e.values()[11]).isNull();
    assertThat(e.values()[7]).isEqualTo(125.0);
  }

  @Test
  void acceptsTimesWithAnyFractionOrNone() throws Exception {
    EarthquakeCsvParser parser = EarthquakeCsvParser.forHeader(HEADER);

    assertThat(parser.parse("2016/03/04 05:06:07,1,2,,,,,,,,ci,x").values()[0]).isEqualTo(Instant.parse("2016-03-04T05:06:07Z"));
    assertThat(parser.parse("2016/03/04 05:06:07.123456,1,2,,,,,,,,ci,x").values()[0])
        .isEqualTo(Instant.parse("2016-03-04T05:06:07.123456Z"));
  }

  @Test
  void findsColumnsByHeaderNameInAnyOrderAndAcceptsQuotes() throws Exception {
    EarthquakeCsvParser parser = EarthquakeCsvParser.forHeader(
        "\uFEFFSource,EventID,DateTime,Latitude,Longitude,Depth,Magnitude,MagType,NbStations,Gap,Distance,RMS");

    EarthquakeCsvParser.Event e = parser.parse("\"NC\",\"id,with \"\"comma\"\"\",2016/01/01 00:00:00,1.5,2.5,,,,,,,");

    assertThat(e.tenant()).isEqualTo("nc");
    assertThat(e.values()[10]).isEqualTo("NC");
    assertThat(e.values()[11]).isEqualTo("id,with \"comma\"");
    assertThat(e.values()[1]).isEqualTo(1.5);
  }

  @Test
  void rejectsAHeaderWithoutTheExpectedColumns() {
    assertThatThrownBy(() -> EarthquakeCsvParser.forHeader("time,lat,lon"))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageContaining("header lacks the column(s) [DateTime, Latitude");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "2016/01/01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,,125,0,0.44,pr| 11 fields, but the header has 12",
      "2016-01-01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,,125,0,0.44,pr,1| DateTime '2016-01-01 00:30:04.91'",
      "2016/01/01 00:30:04.91,north,-67.1,19.9,2.8,Md,,125,0,0.44,pr,1| Latitude 'north' is not a number",
      "2016/01/01 00:30:04.91,,-67.1,19.9,2.8,Md,,125,0,0.44,pr,1| empty Latitude",
      "2016/01/01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,2.5,125,0,0.44,pr,1| NbStations '2.5' is not an integer",
      "2016/01/01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,,125,0,0.44,,1| empty Source",
      "2016/01/01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,,125,0,0.44,p.r,1| Source 'p.r' cannot name a tenant",
      "2016/01/01 00:30:04.91,18.0,-67.1,19.9,2.8,Md,,125,0,0.44,\"pr,1| unterminated quoted field 11",
  })
  void rejectsMalformedLinesWithTheReason(String line, String reason) throws Exception {
    EarthquakeCsvParser parser = EarthquakeCsvParser.forHeader(HEADER);

    assertThatThrownBy(() -> parser.parse(line))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageContaining(reason.strip());
  }
}
