package io.kvbm4j.torture.fuzz;

import java.util.List;

/**
 * One parser of outside input under fuzzing. {@link #run} feeds it one input: it returns normally when the
 * input was accepted, throws {@link Rejected} (wrapping the parser's own error, checked to name where the
 * input is wrong) when the parser refused it as it should, and anything else is a finding: an unexpected
 * exception type, an error without a location, an {@link OutOfMemoryError} from a length field, a wrong
 * block, or (caught by {@link Fuzzer}) a hang.
 */
public interface FuzzTarget
{
    /** Short name: the corpus folder and the report row. */
    String name();

    /** Valid inputs to mutate (the corpus in the repository plus any generated ones). */
    List<byte[]> seeds();

    /** Mutates an input; by default {@link Mutator#mutate}. Structure-aware targets add their own moves. */
    default byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
    {
        return mutator.mutate(input, corpus);
    }

    /** Feeds one input to the parser. */
    void run(byte[] input) throws Exception;

    /** An expected refusal: the parser's error, which names the key, line or offset. */
    final class Rejected extends Exception
    {
        private static final long serialVersionUID = 1L;

        public Rejected(final Throwable cause)
        {
            super(cause.getMessage(), cause);
        }
    }
}
