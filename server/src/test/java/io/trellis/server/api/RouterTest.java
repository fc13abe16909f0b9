package io.trellis.server.api;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

class RouterTest {
    private final Router.Handler a = r -> ApiResponse.noContent();
    private final Router.Handler b = r -> ApiResponse.noContent();
    private final Router router = new Router()
            .add(GET, "/api/v5/clients", a)
            .add(GET, "/api/v5/clients/{clientid}", b)
            .add(DELETE, "/api/v5/clients/{clientid}", b)
            .add(GET, "/api/v5/clients/{clientid}/subscriptions", a);

    @Test
    void matchesTemplatesAndDecodesEachSegment() {
        assertThat(router.route(GET, "/api/v5/clients").handler()).isSameAs(a);
        assertThat(router.route(GET, "/api/v5/clients/").handler()).isSameAs(a);
        Router.Match m = router.route(GET, "/api/v5/clients/a%2Fb%20c");
        assertThat(m.handler()).isSameAs(b);
        assertThat(m.pathParams()).containsEntry("clientid", "a/b c");
        assertThat(router.route(GET, "/api/v5/clients/x%2Fy/subscriptions").pathParams())
                .containsEntry("clientid", "x/y");
    }

    @Test
    void unknownPathIs404WrongMethodIs405() {
        assertThatThrownBy(() -> router.route(GET, "/api/v5/nope"))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.status()).isEqualTo(HttpResponseStatus.NOT_FOUND));
        assertThatThrownBy(() -> router.route(POST, "/api/v5/clients/x"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpResponseStatus.METHOD_NOT_ALLOWED);
                    assertThat(e.getMessage()).contains("DELETE, GET");
                });
    }
}
