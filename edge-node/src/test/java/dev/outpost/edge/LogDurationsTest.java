package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Durations in the node's log are written as the config writes them ({@code 10s}), not as Java prints them ({@code PT10S}). */
class LogDurationsTest {

    @Test
    void shutdownLogsItsGraceAsTheConfigWritesIt() {
        Logger logger = (Logger) LoggerFactory.getLogger(EdgeNode.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            TestEdge.withOrigin("http://127.0.0.1:9").flag("shutdown-grace", "1m30s").start().close();
        } finally {
            logger.detachAppender(events);
        }
        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("shutting down: finishing requests in flight (up to 90s)")
                .noneMatch(m -> m.matches(".*\\bPT\\d.*"));
    }
}
