// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {Balance, RegisteredTransfer, WithdrawData} from "../../src/interfaces/Types.sol";
import {Withdraw} from "../../src/transfers/Withdraw.sol";

contract WithdrawTest is ChannelFixture {
    /// @dev secp256k1 group order.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal eve;
    uint256 internal eveKey;
    bytes32 internal commitment;

    function setUp() public override {
        super.setUp();
        (eve, eveKey) = makeAddrAndKey("eve");
        // Bob withdraws 1 ether of his channel balance to himself.
        commitment = channel.withdrawDigest(
            WithdrawData({
                channelAddress: address(channel), assetId: ETH, recipient: payable(bob), amount: 1 ether, nonce: 1
            })
        );
    }

    function encBalance(uint256 initiatorAmount, uint256 responderAmount) internal view returns (bytes memory) {
        return abi.encode(twoParty(payable(bob), payable(alice), initiatorAmount, responderAmount));
    }

    function state(bytes memory signature, address initiator, address responder, bytes32 data, uint256 fee)
        internal
        pure
        returns (Withdraw.WithdrawState memory)
    {
        return Withdraw.WithdrawState({
            initiatorSignature: signature, initiator: initiator, responder: responder, data: data, nonce: 1, fee: fee
        });
    }

    /// @dev Bob (initiator) signed the commitment; alice is the responder.
    function validState(uint256 fee) internal view returns (Withdraw.WithdrawState memory) {
        return state(sign(bobKey, commitment), bob, alice, commitment, fee);
    }

    function encResolver(bytes memory signature) internal pure returns (bytes memory) {
        return abi.encode(Withdraw.WithdrawResolver({responderSignature: signature}));
    }

    function assertBalance(Balance memory b, uint256 initiatorAmount, uint256 responderAmount) internal view {
        assertEq(b.to[0], bob);
        assertEq(b.to[1], alice);
        assertEq(b.amount[0], initiatorAmount);
        assertEq(b.amount[1], responderAmount);
    }

    // ---------------------------------------------------------------- state

    function test_state_fieldsRoundTrip() public view {
        Withdraw.WithdrawState memory s = validState(0.01 ether);
        s.nonce = 42;
        Withdraw.WithdrawState memory d = abi.decode(abi.encode(s), (Withdraw.WithdrawState));
        assertEq(d.initiatorSignature, sign(bobKey, commitment));
        assertEq(d.initiator, bob);
        assertEq(d.responder, alice);
        assertEq(d.data, commitment);
        assertEq(d.nonce, 42);
        assertEq(d.fee, 0.01 ether);
    }

    // ---------------------------------------------------------------- create

    function test_create_acceptsInitiatorSignature() public view {
        assertTrue(withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(validState(0))));
        assertTrue(withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(validState(1 ether))));
    }

    function test_create_revertsOnForgedSignature() public {
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(
            encBalance(1 ether, 0), abi.encode(state(sign(eveKey, commitment), bob, alice, commitment, 0))
        );
        // The responder's signature is not the initiator's.
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(
            encBalance(1 ether, 0), abi.encode(state(sign(aliceKey, commitment), bob, alice, commitment, 0))
        );
    }

    function test_create_revertsOnSignatureOverOtherData() public {
        bytes32 other = keccak256("other");
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(
            encBalance(1 ether, 0), abi.encode(state(sign(bobKey, other), bob, alice, commitment, 0))
        );
        // An eth_sign-prefixed signature is not a signature on the digest itself.
        bytes32 prefixed = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", commitment));
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(
            encBalance(1 ether, 0), abi.encode(state(sign(bobKey, prefixed), bob, alice, commitment, 0))
        );
    }

    function test_create_revertsOnMalformedSignature() public {
        bytes[3] memory bad =
            [bytes(""), bytes(hex"1234"), abi.encodePacked(bytes32(uint256(1)), bytes32(0), uint8(27))];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
            withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(state(bad[i], bob, alice, commitment, 0)));
        }
    }

    function test_create_revertsOnHighS() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(bobKey, commitment);
        bytes memory malleable = abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(state(malleable, bob, alice, commitment, 0)));
    }

    function test_create_revertsOnZeroParties() public {
        bytes memory sig = sign(bobKey, commitment);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidParticipants.selector, address(0), alice));
        withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(state(sig, address(0), alice, commitment, 0)));
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidParticipants.selector, bob, address(0)));
        withdrawDefinition.create(encBalance(1 ether, 0), abi.encode(state(sig, bob, address(0), commitment, 0)));
    }

    function test_create_revertsOnZeroData() public {
        vm.expectRevert(abi.encodeWithSelector(Withdraw.EmptyCommitment.selector));
        withdrawDefinition.create(
            encBalance(1 ether, 0), abi.encode(state(sign(bobKey, commitment), bob, alice, bytes32(0), 0))
        );
    }

    function test_create_revertsOnInvalidBalance() public {
        bytes memory s = abi.encode(validState(0.1 ether));
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidInitialBalance.selector, 0.05 ether, 0, 0.1 ether));
        withdrawDefinition.create(encBalance(0.05 ether, 0), s);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidInitialBalance.selector, 1 ether, 1, 0.1 ether));
        withdrawDefinition.create(encBalance(1 ether, 1), s);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidInitialBalance.selector, 0, 0, 0));
        withdrawDefinition.create(encBalance(0, 0), abi.encode(validState(0)));
    }

    // ---------------------------------------------------------------- resolve

    function test_resolve_responderSignatureGivesFee() public view {
        Balance memory b = withdrawDefinition.resolve(
            encBalance(1 ether, 0), abi.encode(validState(0.01 ether)), encResolver(sign(aliceKey, commitment))
        );
        assertBalance(b, 0, 0.01 ether);
        b = withdrawDefinition.resolve(
            encBalance(1 ether, 0), abi.encode(validState(0)), encResolver(sign(aliceKey, commitment))
        );
        assertBalance(b, 0, 0);
    }

    function test_resolve_revertsOnWrongSignature() public {
        bytes memory s = abi.encode(validState(0.01 ether));
        bytes[4] memory bad = [
            sign(eveKey, commitment),
            sign(bobKey, commitment), // the initiator's, not the responder's
            sign(aliceKey, keccak256("other")),
            bytes(hex"01")
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, alice));
            withdrawDefinition.resolve(encBalance(1 ether, 0), s, encResolver(bad[i]));
        }
    }

    function test_resolve_emptySignatureCancels() public view {
        Balance memory b =
            withdrawDefinition.resolve(encBalance(1 ether, 0), abi.encode(validState(0.01 ether)), encResolver(""));
        assertBalance(b, 1 ether, 0);
        bytes memory cancel = withdrawDefinition.getRegistryInformation().encodedCancel;
        assertBalance(
            withdrawDefinition.resolve(encBalance(1 ether, 0), abi.encode(validState(0.01 ether)), cancel), 1 ether, 0
        );
    }

    // ---------------------------------------------------------------- registry information

    function test_getRegistryInformation() public view {
        RegisteredTransfer memory info = withdrawDefinition.getRegistryInformation();
        assertEq(info.name, "Withdraw");
        assertEq(info.definition, address(withdrawDefinition));
        assertEq(
            info.stateEncoding,
            "tuple(bytes initiatorSignature, address initiator, address responder, bytes32 data, uint256 nonce, uint256 fee)"
        );
        assertEq(info.resolverEncoding, "tuple(bytes responderSignature)");
        // A one-member tuple with a dynamic member: outer offset, inner offset, length 0.
        assertEq(info.encodedCancel, abi.encode(uint256(0x20), uint256(0x20), uint256(0)));
        assertEq(abi.decode(info.encodedCancel, (Withdraw.WithdrawResolver)).responderSignature.length, 0);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_withdraw_createAndResolve(
        uint256 initiatorKey,
        uint256 responderKey,
        uint256 amount,
        uint256 fee,
        bytes32 data
    ) public view {
        initiatorKey = bound(initiatorKey, 1, N - 1);
        responderKey = bound(responderKey, 1, N - 1);
        amount = bound(amount, 1, type(uint256).max);
        fee = bound(fee, 0, amount);
        vm.assume(data != bytes32(0));
        address initiator = vm.addr(initiatorKey);
        address responder = vm.addr(responderKey);

        bytes memory s = abi.encode(state(sign(initiatorKey, data), initiator, responder, data, fee));
        assertTrue(withdrawDefinition.create(encBalance(amount, 0), s));
        assertBalance(
            withdrawDefinition.resolve(encBalance(amount, 0), s, encResolver(sign(responderKey, data))), 0, fee
        );
        assertBalance(withdrawDefinition.resolve(encBalance(amount, 0), s, encResolver("")), amount, 0);
    }

    function testFuzz_withdraw_create_rejectsOtherSigner(uint256 signerKey, uint256 amount) public {
        signerKey = bound(signerKey, 1, N - 1);
        vm.assume(signerKey != bobKey);
        amount = bound(amount, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, bob));
        withdrawDefinition.create(
            encBalance(amount, 0), abi.encode(state(sign(signerKey, commitment), bob, alice, commitment, 0))
        );
    }

    function testFuzz_withdraw_resolve_rejectsOtherSigner(uint256 signerKey, uint256 fee) public {
        signerKey = bound(signerKey, 1, N - 1);
        vm.assume(signerKey != aliceKey);
        fee = bound(fee, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, alice));
        withdrawDefinition.resolve(
            encBalance(1 ether, 0), abi.encode(validState(fee)), encResolver(sign(signerKey, commitment))
        );
    }

    function testFuzz_withdraw_create_rejectsFeeAboveAmount(uint256 amount, uint256 fee) public {
        amount = bound(amount, 1, type(uint256).max - 1);
        fee = bound(fee, amount + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidInitialBalance.selector, amount, 0, fee));
        withdrawDefinition.create(encBalance(amount, 0), abi.encode(validState(fee)));
    }

    function testFuzz_withdraw_create_rejectsResponderAmount(uint256 amount, uint256 responderAmount) public {
        amount = bound(amount, 1, type(uint256).max);
        responderAmount = bound(responderAmount, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidInitialBalance.selector, amount, responderAmount, 0));
        withdrawDefinition.create(encBalance(amount, responderAmount), abi.encode(validState(0)));
    }
}
