package dev.outpost.edge.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoredFieldNamesTest {

    private final StoredFieldNames names = new StoredFieldNames();

    @Test
    void eachNameIsClassifiedByItsLowerCaseForm() {
        assertThat(names.of("Content-Length").never()).isTrue();
        assertThat(names.of("Connection").never()).isTrue();
        assertThat(names.of("Surrogate-Control").cdnOnly()).isTrue();
        assertThat(names.of("EXPIRES").browserCache()).isTrue();
        assertThat(names.of("ETag").inNotModified()).isTrue();
        assertThat(names.of("Cache-Status").inNotModified()).isTrue();
        StoredFieldNames.Name type = names.of("Content-Type");
        assertThat(type.never() || type.cdnOnly() || type.browserCache() || type.inNotModified()).isFalse();
        assertThat(type.name().toString()).isEqualTo("Content-Type");
    }

    @Test
    void aNameIsWorkedOutOnceAndReused() {
        StoredFieldNames.Name first = names.of("X-Served-By");
        assertThat(names.of("X-Served-By")).isSameAs(first);
        assertThat(names.size()).isEqualTo(1);
    }

    @Test
    void theTableIsBoundedAndNamesPastItAreStillClassified() {
        for (int i = 0; i < StoredFieldNames.MAX_NAMES + 500; i++) {
            names.of("X-Field-" + i);
        }
        assertThat(names.size()).isEqualTo(StoredFieldNames.MAX_NAMES);
        assertThat(names.of("Keep-Alive").never()).isTrue();
        assertThat(names.size()).isEqualTo(StoredFieldNames.MAX_NAMES);
    }

    @Test
    void aLongNameIsClassifiedButNotRemembered() {
        String longName = "X-" + "a".repeat(StoredFieldNames.MAX_NAME_LENGTH);
        assertThat(names.of(longName).name().toString()).isEqualTo(longName);
        assertThat(names.size()).isZero();
    }
}
