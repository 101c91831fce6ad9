# shellcheck shell=bash
# the example of sharedroot-boottest(1) (between its boottest-example markers), run exactly as
# written with KERNEL the test kernel and BASE the ext4 test root: the first command passes
# with an initramfs it built itself and leaves a baseline, the second compares with it; README's
# copy of the first part is the same text
# qt-first: 1

scenario() {
    local dir=$SCW/$SC page=$QT_SELF_DIR/../docs/sharedroot-boottest.1 cmds rc n=0 line readme manpart
    mkdir -p "$SCW"
    rm -rf "$dir"; mkdir -p "$dir"
    cmds=$(sed -n '/boottest-example-begin/,/boottest-example-end/p' "$page" |
        grep '^sharedroot\\-boottest ' | sed 's/\\-/-/g')
    [ "$(echo "$cmds" | wc -l)" = 2 ] || fail "the man page's example has not 2 commands: $cmds"
    # README's copy ("Testing your own kernel and base image") is the man page's first part
    readme=$(awk '/^## Testing your own kernel/ { s = 1 } s && /^```sh$/ { b = 1; next }
        b && /^```$/ { exit } b { print }' "$QT_SELF_DIR/../README.md")
    manpart=$(sed -n '/boottest-example-begin/,/boottest-example-end/p' "$page" |
        sed -n '/^\.EX$/,/^\.EE$/{/^\.E[XE]$/d;p}' | head -n 2 | sed 's/\\-/-/g')
    { [ -n "$readme" ] && [ "$readme" = "$manpart" ]; } ||
        fail "README's boottest example differs from the man page's: README [$readme] man [$manpart]"
    showlog "$dir/1.out"; showlog "$dir/2.out"
    while read -r line; do
        n=$((n + 1))
        (cd "$dir" && KERNEL=$QT_KERNEL BASE=$ROOTS/ext4.img \
            PATH=$BUILD/boottest:$BUILD/initramfs:$PATH bash -c "$line") >"$dir/$n.out" 2>&1
        rc=$?
        case $n in
        1) [ $rc = 0 ] || fail "the first command exited $rc: $(tail -n 5 "$dir/$n.out")" ;;
        # a loaded machine may make it slower: the comparison is what is checked here
        2) [ $rc = 0 ] || [ $rc = 1 ] || fail "the second command exited $rc: $(tail -n 5 "$dir/$n.out")" ;;
        esac
    done <<<"$cmds"
    grep -q '"boots_ok":3' "$dir/boottest-out/report.json" || fail "not 3 boots ok"
    grep -q '"initrd_built":true' "$dir/boottest-out/report.json" || fail "no initramfs built"
    [ -s "$dir/boottest-out/initrd/boot.img" ] || fail "no boottest-out/initrd/boot.img"
    grep -q '"comparisons":\[{"config":"boot","metric":' "$dir/boottest-new/report.json" ||
        fail "the second run did not compare with the first"
    boottest_no_qemu_left "$dir/boottest-out"
    boottest_no_qemu_left "$dir/boottest-new"
    boottest_pass
}
