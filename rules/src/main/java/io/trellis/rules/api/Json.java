package io.trellis.rules.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.trellis.config.Secret;
import java.io.IOException;

/**
 * The Jackson mapper for the rule engine's API bodies and state. A {@link Secret} is written in
 * clear only here (the state snapshot must carry a bridge password to another node); the API layer
 * should mask it in GET answers as EMQX does ({@code ******}).
 */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .registerModule(new SimpleModule("trellis-secret")
                    .addSerializer(Secret.class, new JsonSerializer<>() {
                        @Override
                        public void serialize(Secret value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                            gen.writeString(value.reveal());
                        }
                    })
                    .addDeserializer(Secret.class, new JsonDeserializer<>() {
                        @Override
                        public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                            return new Secret(p.getValueAsString());
                        }
                    }));

    private Json() {
    }
}
